package jobs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"kam/pipeline/core"
	"kam/store"
)

// The reports folder holds a copy of each report's newest archived version
// (SPEC §5). The archive is the record: a copy that cannot be written when its
// run publishes (a blocked file, a full or absent share) is written again from
// the archive by RestoreCopies, and until then the run shows how many it lacks.

// copiesLock is held by whoever writes copies into the reports folder, so an
// older report's copy never lands after a newer one's of the same name.
const copiesLock = "report-copies"

// copyWriter wraps the writer of every copy; an internal test makes it fail midway.
var copyWriter = func(w io.Writer) io.Writer { return w }

// CopiesResult is what RestoreCopies did.
type CopiesResult struct {
	Restored int // copies written from the archive
	Missing  int // copies still missing: written on the next try
}

// RestoreCopies writes into the reports folder, from the archive, every copy
// a publish could not write (store.PendingCopies: only a report no newer one
// of the same unit and file name has replaced). Each copy is checked against
// its SHA-256 and goes through <name>.part, renamed into place; a copy that
// fails leaves no .part and stays missing for the next call. Another kam
// writing copies now makes it return at once: that writer leaves them in place.
func RestoreCopies(ctx context.Context, a *core.App) (CopiesResult, error) {
	var res CopiesResult
	pending, err := a.Store.PendingCopies(ctx)
	if err != nil || len(pending) == 0 {
		return res, err
	}
	lock, err := lockCopies(ctx, a, false)
	if errors.Is(err, store.ErrBusy) {
		res.Missing = len(pending)
		return res, nil
	}
	if err != nil {
		return res, err
	}
	defer lock.Release()
	if pending, err = a.Store.PendingCopies(ctx); err != nil { // what the last holder left
		return res, err
	}
	for _, rep := range pending {
		if ctx.Err() != nil {
			res.Missing++
			continue
		}
		log := copyLog(a.Log.With().Str("job", rep.Job).Str("period", rep.Period).Int64("run", rep.RunID).Logger(), rep)
		dst, err := copyPath(a, rep.Unit, rep.FileName)
		if err == nil {
			err = placeCopy(a, dst, func(w io.Writer) error {
				_, err := a.Store.ReportContent(ctx, rep.ID, w)
				return err
			})
		}
		if err != nil {
			res.Missing++
			log.Warn().Err(err).Str("path", dst).Msg("报表副本仍缺：从归档写入报表目录失败，下次扫描、投递或启动时再试")
			continue
		}
		if err := a.Store.MarkCopied(context.WithoutCancel(ctx), []int64{rep.ID}, a.Clock()); err != nil {
			return res, err // in place, but not recorded: the next call writes it again
		}
		res.Restored++
		log.Info().Str("path", dst).Msg("报表副本已从归档补写到报表目录")
	}
	return res, nil
}

// placeCopies writes a published run's copies into the reports folder, after
// the transaction that archived them: a copy that cannot be written is logged
// and counted in out.MissingCopies, and RestoreCopies writes it later.
func placeCopies(ctx context.Context, a *core.App, out *Output, log zerolog.Logger) {
	lock, err := lockCopies(ctx, a, true)
	if err != nil {
		out.MissingCopies = len(out.files)
		log.Warn().Err(err).Int("missing", len(out.files)).Msg("报表副本未写入报表目录：稍后从归档补写")
		return
	}
	defer lock.Release()
	var copied []int64
	for i, f := range out.files {
		rep := out.Reports[i]
		dst, err := copyPath(a, f.unit, f.name)
		if err == nil {
			err = placeCopy(a, dst, func(w io.Writer) error {
				in, err := os.Open(f.path)
				if err != nil {
					return err
				}
				defer in.Close()
				_, err = io.Copy(w, in)
				return err
			})
		}
		if err != nil {
			out.MissingCopies++
			copyLog(log, rep).Warn().Err(err).Str("path", dst).Msg("报表副本未能写入报表目录：已归档，稍后从归档补写")
			continue
		}
		copied = append(copied, rep.ID)
		if f.unit == "" {
			out.Paths = append(out.Paths, dst)
		} else {
			out.UnitPaths = append(out.UnitPaths, dst)
		}
	}
	if err := a.Store.MarkCopied(context.WithoutCancel(ctx), copied, a.Clock()); err != nil {
		log.Error().Err(err).Msg("记录报表副本已写入失败：下次扫描、投递或启动时从归档重写")
	}
}

// copyLog is log naming one report's copy.
func copyLog(log zerolog.Logger, rep store.Report) *zerolog.Logger {
	l := log.With().Int64("report", rep.ID).Str("unit", rep.Unit).Str("file", rep.FileName).Logger()
	return &l
}

// copyPath is where a report's copy goes: a unit's own workbooks in a folder of
// its own, as its files come in through inbox/<单位编码>/; proved inside reports/ (placeFile).
func copyPath(a *core.App, unit, name string) (string, error) {
	dst, err := placeFile(a.Cfg.Paths.Reports, a.Cfg.Paths.Reports, artifact{name: name, unit: unit})
	if err != nil {
		return "", err
	}
	return filepath.Abs(dst)
}

// placeCopy writes dst through write into dst.part, flushed to disk, then
// renamed over dst (an earlier copy is replaced whole or not at all); on any
// failure the .part is removed and dst is as it was.
func placeCopy(a *core.App, dst string, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	part := dst + ".part"
	f, err := a.CreateShared(part, os.O_WRONLY|os.O_TRUNC) // paths.file_mode: the reports folder's group reads it
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(part)
		}
	}()
	if err := write(copyWriter(f)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil { // a full share says so here, not after the rename
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(part, dst)
}

// lockCopies takes copiesLock; with wait, it waits for another writer to finish (until ctx ends).
func lockCopies(ctx context.Context, a *core.App, wait bool) (*store.RunLock, error) {
	for {
		lock, err := a.Store.LockRun(ctx, copiesLock, nil)
		if !wait || !errors.Is(err, store.ErrBusy) {
			return lock, err
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
