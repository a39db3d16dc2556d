package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"kam/domain"
	"kam/loaders"
	"kam/reports"
	"kam/store"
)

// Outcomes of one inbox file.
const (
	OutcomeLoaded    = "loaded"
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate"
	OutcomeWaiting   = "waiting" // still being written; left for the next scan
)

// FileResult is what happened to one file of a scan.
type FileResult struct {
	Name    string
	Kind    domain.Kind
	Outcome string
	Rows    int
	Errors  int
	MovedTo string
	Reason  string // file-level reason of a rejection
	// ErrorBook is the rejected file's error workbook (its name shortened when the file's own is too long to take ".errors.xlsx"), "" if it could not be written.
	ErrorBook string
	Duration  time.Duration
}

// ScanResult summarises one scan of the inbox.
type ScanResult struct {
	Files    []FileResult
	Duration time.Duration
}

// Count returns how many files had the outcome.
func (s ScanResult) Count(outcome string) int {
	n := 0
	for _, f := range s.Files {
		if f.Outcome == outcome {
			n++
		}
	}
	return n
}

// errRejected rolls a file's transaction back when it had bad rows.
var errRejected = errors.New("file rejected")

// candidate is an inbox file ready to load, with its kind already read. Only
// the file that loads first keeps its extract open (most scans see one file);
// the others are opened again in turn, since an open workbook holds its sheet
// and a batch may bring many large ones.
type candidate struct {
	path    string
	sha     string
	size    int64
	kind    domain.Kind
	extract *loaders.Extract
	openErr *loaders.FileError
}

// loadsBefore is SPEC §3's load order, then the file name.
func loadsBefore(x, y *candidate) int {
	if d := kindRank(x.kind) - kindRank(y.kind); d != 0 {
		return d
	}
	return strings.Compare(filepath.Base(x.path), filepath.Base(y.path))
}

// Ingest scans the inbox once: every settled file is loaded whole in one
// transaction, or rejected whole with an error workbook beside it. The error
// return is for failures of kam itself (database down, folder unwritable);
// bad files are outcomes, not errors.
func (a *App) Ingest(ctx context.Context) (ScanResult, error) {
	start, began := a.now(), time.Now() // the clock for records, the machine's for durations
	var res ScanResult
	// One scan at a time across instances: two would race to load and move the same files.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, "ingest", func(err error) { cancel(fmt.Errorf("lost the ingest lock: %w", err)) })
	if errors.Is(err, store.ErrBusy) {
		a.Log.Info().Msg("另一个 kam 进程正在扫描收件目录，本次跳过")
		return res, nil
	}
	if err != nil {
		return res, err
	}
	defer lock.Release()
	for _, dir := range []string{a.Cfg.Paths.Inbox, a.Cfg.Paths.Processed, a.Cfg.Paths.Rejected} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, fmt.Errorf("cannot create folder: %w", err)
		}
	}
	settled, waiting, err := a.settledFiles(ctx)
	if err != nil {
		return res, err
	}
	for _, name := range waiting {
		res.Files = append(res.Files, FileResult{Name: name, Outcome: OutcomeWaiting})
		a.Log.Info().Str("file", name).Str("outcome", OutcomeWaiting).Msg("文件仍在写入，留待下次扫描")
	}

	var cands []*candidate
	var held *candidate // the one candidate whose extract is open
	defer func() {
		if held != nil && held.extract != nil {
			held.extract.Close()
		}
	}()
	for _, path := range settled {
		c, x := a.openCandidate(path)
		switch {
		case c.openErr != nil:
		default:
			c.kind, c.extract = x.Kind(), x
			if held == nil || loadsBefore(c, held) < 0 {
				if held != nil {
					held.extract.Close()
					held.extract = nil
				}
				held = c
			} else {
				x.Close()
				c.extract = nil
			}
		}
		cands = append(cands, c)
	}
	// SPEC §3 load order, so a batch dropped together loads in one pass.
	slices.SortStableFunc(cands, loadsBefore)

	scanID := nextScanID(start)
	var refs *store.RefSnapshot
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if refs == nil {
			if refs, err = a.Store.Refs(ctx); err != nil {
				return res, err
			}
		}
		fr, err := a.ingestFile(ctx, c, refs, scanID)
		if err != nil {
			return res, err
		}
		if fr.Outcome == OutcomeLoaded && c.kind != domain.KindRevenue {
			refs = nil // the next file must see what this one added
		}
		res.Files = append(res.Files, fr)
	}
	res.Duration = time.Since(began)
	a.Log.Info().Int("loaded", res.Count(OutcomeLoaded)).Int("rejected", res.Count(OutcomeRejected)).
		Int("duplicates", res.Count(OutcomeDuplicate)).Int("waiting", res.Count(OutcomeWaiting)).
		Dur("duration", res.Duration).Msg("收件目录扫描完成")
	return res, nil
}

// openCandidate hashes and opens one settled file. Whatever goes wrong is
// the file's reason to be rejected, never the scan's: a file that cannot be
// read must not keep the files after it from loading.
func (a *App) openCandidate(path string) (*candidate, *loaders.Extract) {
	sha, size, err := hashFile(path)
	c := &candidate{path: path, sha: sha, size: size}
	if err != nil {
		c.sha = unreadableSHA(path, err)
		c.openErr = &loaders.FileError{Reason: "无法读取文件：" + err.Error()}
		return c, nil
	}
	if limit := a.maxFileBytes(); size > limit {
		c.openErr = &loaders.FileError{Reason: fmt.Sprintf("文件有 %s，超过 %d MB 的上限（ingest.max_file_mb）；请分成几个较小的文件",
			sizeMB(size), limit>>20)}
		return c, nil
	}
	x, err := openExtract(path)
	var fe *loaders.FileError
	switch {
	case errors.As(err, &fe):
		c.openErr = fe
	case err != nil:
		c.openErr = &loaders.FileError{Reason: "无法读取文件：" + err.Error()}
	}
	return c, x
}

// openExtract is loaders.Open that turns a panic into a reason to reject the file.
func openExtract(path string) (x *loaders.Extract, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, err = nil, &loaders.FileError{Reason: fmt.Sprintf("读取文件时出错（%v），文件可能已损坏", r)}
		}
	}()
	return loaders.Open(path)
}

// unreadableSHA names a file whose bytes could not be hashed, so its record is still unique.
func unreadableSHA(path string, err error) string {
	return "unreadable:" + shortHash(path+"\x00"+err.Error())
}

func (a *App) maxFileBytes() int64 {
	mb := a.Cfg.Ingest.MaxFileMB
	if mb <= 0 {
		mb = 200
	}
	return int64(mb) << 20
}

func sizeMB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

var lastScanID atomic.Int64

// nextScanID is the scan's start in Unix microseconds, made unique within the process should the clock stand still (tests) or step back.
func nextScanID(start time.Time) int64 {
	for {
		prev := lastScanID.Load()
		id := max(start.UnixMicro(), prev+1)
		if lastScanID.CompareAndSwap(prev, id) {
			return id
		}
	}
}

func kindRank(k domain.Kind) int {
	if i := slices.Index(domain.LoadOrder, k); i >= 0 {
		return i
	}
	return -1 // unreadable files first: they are rejected without touching the store
}

// settledFiles lists inbox files that are ours to take and no longer being
// written: a file touched within the quiet period is looked at again after
// it, and left for the next scan if its size or mtime still moved.
func (a *App) settledFiles(ctx context.Context) (settled, waiting []string, err error) {
	entries, err := os.ReadDir(a.Cfg.Paths.Inbox)
	if err != nil {
		return nil, nil, fmt.Errorf("read inbox: %w", err)
	}
	quiet := a.Cfg.Ingest.QuietPeriod.Duration
	type seen struct {
		path  string
		size  int64
		mtime time.Time
	}
	var recent []seen
	var youngest time.Time
	for _, e := range entries {
		if !e.Type().IsRegular() || ignoredName(e.Name()) {
			continue
		}
		path := filepath.Join(a.Cfg.Paths.Inbox, e.Name())
		info, err := os.Stat(path)
		if err != nil {
			continue // vanished meanwhile: not ours any more
		}
		if a.now().Sub(info.ModTime()) >= quiet { // a modification time ahead of the clock counts as recent
			settled = append(settled, path)
			continue
		}
		recent = append(recent, seen{path, info.Size(), info.ModTime()})
		if info.ModTime().After(youngest) {
			youngest = info.ModTime()
		}
	}
	if len(recent) > 0 {
		wait := max(0, min(youngest.Add(quiet).Sub(a.now()), quiet))
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
		for _, r := range recent {
			info, err := os.Stat(r.path)
			if err != nil {
				continue
			}
			if info.Size() == r.size && info.ModTime().Equal(r.mtime) {
				settled = append(settled, r.path)
			} else {
				waiting = append(waiting, filepath.Base(r.path))
			}
		}
	}
	slices.Sort(settled)
	return settled, waiting, nil
}

// ingestFile loads one file in one transaction, or rejects it whole.
func (a *App) ingestFile(ctx context.Context, c *candidate, refs *store.RefSnapshot, scanID int64) (FileResult, error) {
	start := time.Now()
	name := filepath.Base(c.path)
	fr := FileResult{Name: name, Kind: c.kind}
	rec := store.FileRecord{Name: name, SHA256: c.sha, Size: c.size, Kind: c.kind, StartedAt: a.now().UTC(), ScanID: scanID}
	log := a.Log.With().Str("file", name).Str("kind", string(c.kind)).Logger()

	prev, found, err := a.Store.FileBySHA(ctx, c.sha)
	if err != nil {
		return fr, err
	}
	if found && prev.Outcome == store.FileLoaded {
		return a.duplicate(ctx, c, rec, fr, prev.Name, start)
	}

	fe, x := c.openErr, c.extract
	c.extract = nil // closed below, with the load
	if fe == nil && x == nil {
		var rc *candidate
		rc, x = a.openCandidate(c.path)
		fe = rc.openErr
	}
	if x != nil {
		defer x.Close()
	}
	if fe != nil {
		return a.reject(ctx, c, rec, fr, []domain.RowError{{Column: "（整个文件）", Value: name, Reason: fe.Reason}}, 1, start)
	}

	if x.Encoding() == "xlsx" {
		// excelize decodes a workbook's XML with an allocation per cell; collecting
		// half as often makes large workbooks load ~15% faster for a few tens of MB.
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	var result loaders.Result
	bar := a.progressBar(name)
	defer bar.finish()
	err = a.Store.InTx(ctx, func(tx *store.Tx) error {
		rec.Outcome = store.FileLoaded
		id, err := tx.RecordFile(rec) // first: revenue rows are tagged with the file's id
		if err != nil {
			return err
		}
		rec.ID = id
		result, err = loadExtract(x, loaders.Env{
			Refs:      refs,
			Lines:     a.Cfg.BusinessLines,
			Today:     a.Today(),
			MaxErrors: a.Cfg.Ingest.MaxErrorsListed,
			Progress:  bar.update(),
		}, tx)
		if err != nil {
			return err
		}
		if result.ErrorCount > 0 {
			return errRejected
		}
		rec.Rows, rec.FinishedAt, rec.DurationMS = result.Rows, a.now().UTC(), time.Since(start).Milliseconds()
		_, err = tx.RecordFile(rec)
		return err
	})
	fr.Rows = result.Rows
	switch {
	case errors.Is(err, store.ErrAlreadyLoaded):
		return a.duplicate(ctx, c, rec, fr, "（另一进程刚导入的同一文件）", start) // lost the race to another instance
	case errors.Is(err, errRejected):
		rec.ID = 0 // the loaded record rolled back with the rows
		return a.reject(ctx, c, rec, fr, result.Errors, result.ErrorCount, start)
	case errors.As(err, &fe) || store.IsDataError(err):
		// The file's own fault (a value the database refused, a workbook that broke the reader): reject it, go on.
		rec.ID = 0
		reason := "数据库拒绝了文件中的数据：" + err.Error()
		if fe != nil {
			reason = fe.Reason
		}
		return a.reject(ctx, c, rec, fr, []domain.RowError{{Column: "（整个文件）", Value: name, Reason: reason}}, 1, start)
	case err != nil:
		return fr, fmt.Errorf("load %s: %w", name, err)
	}
	fr.Outcome = OutcomeLoaded
	if fr.MovedTo, err = moveInto(c.path, a.Cfg.Paths.Processed); err != nil {
		return fr, err
	}
	rec.StoredAs = fr.MovedTo
	if _, err := a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	log.Info().Str("outcome", fr.Outcome).Int("rows", fr.Rows).Dur("duration", fr.Duration).
		Float64("rows_per_s", float64(fr.Rows)/max(fr.Duration.Seconds(), 1e-9)).Msg("文件已导入")
	return fr, nil
}

// loadExtract is loaders.Load that turns a panic (a workbook that breaks the reader) into a reason to reject the file.
func loadExtract(x *loaders.Extract, env loaders.Env, w loaders.Writer) (res loaders.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &loaders.FileError{Reason: fmt.Sprintf("读取文件时出错（%v），文件可能已损坏", r)}
		}
	}()
	return loaders.Load(x, env, w)
}

// duplicate files away bytes that are already loaded, without loading them again.
func (a *App) duplicate(ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, sameAs string, start time.Time) (FileResult, error) {
	fr.Outcome = OutcomeDuplicate
	fr.Reason = "与已导入的 " + sameAs + " 完全相同"
	if _, err := os.Stat(c.path); err == nil {
		moved, err := moveInto(c.path, a.Cfg.Paths.Processed)
		if err != nil {
			return fr, err
		}
		fr.MovedTo = moved
	}
	rec.ID, rec.Outcome, rec.StoredAs = 0, store.FileDuplicate, fr.MovedTo
	rec.FinishedAt, rec.DurationMS = a.now().UTC(), time.Since(start).Milliseconds()
	if _, err := a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	a.Log.Info().Str("file", fr.Name).Str("kind", string(c.kind)).Str("outcome", fr.Outcome).Str("same_as", sameAs).
		Dur("duration", fr.Duration).Msg("重复文件，不再导入")
	return fr, nil
}

// reject moves the file to rejected/ with <name>.errors.xlsx beside it and records it.
func (a *App) reject(ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, errs []domain.RowError, total int, start time.Time) (FileResult, error) {
	fr.Outcome, fr.Errors = OutcomeRejected, total
	if len(errs) > 0 && errs[0].Row == 0 {
		fr.Reason = errs[0].Reason
	}
	var err error
	if fr.MovedTo, err = moveInto(c.path, a.Cfg.Paths.Rejected); err != nil {
		return fr, err
	}
	book, err := reports.ErrorWorkbook(reports.Meta{GeneratedAt: a.now()}, fr.Name, c.kind, errs, total)
	errPath := errorBookPath(fr.MovedTo)
	if err == nil {
		err = writeExclusive(errPath, func(w io.Writer) error { _, err := w.Write(book); return err })
	}
	if err != nil {
		// The file is in rejected/ already; it is still recorded and notified, with the reason the workbook is missing.
		a.Log.Error().Err(err).Str("file", fr.Name).Msg("无法写出错误明细")
		errPath, book = "", nil
		if fr.Reason == "" && len(errs) > 0 {
			fr.Reason = errs[0].Error()
		}
		fr.Reason += "（错误明细无法写出：" + err.Error() + "）"
	}
	fr.ErrorBook = errPath
	rec.Outcome, rec.ErrorCount, rec.Rows, rec.StoredAs = store.FileRejected, total, fr.Rows, fr.MovedTo
	rec.FinishedAt, rec.DurationMS = a.now().UTC(), time.Since(start).Milliseconds()
	if _, err := a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	if err := a.queueRejection(ctx, fr, rec.SHA256, errs, total, book); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	ev := a.Log.Warn().Str("file", fr.Name).Str("kind", string(c.kind)).Str("outcome", fr.Outcome).
		Int("rows", fr.Rows).Int("errors", total).Str("error_workbook", errPath).Dur("duration", fr.Duration)
	if len(errs) > 0 {
		ev = ev.Str("first_error", errs[0].Error())
	}
	ev.Msg("文件被退回")
	return fr, nil
}

// rowProgress draws a row count on a terminal while a file loads; a nil
// *rowProgress draws nothing.
type rowProgress struct {
	bar  *progressbar.ProgressBar
	last int
}

func (a *App) progressBar(name string) *rowProgress {
	if !a.Progress {
		return nil
	}
	return &rowProgress{bar: progressbar.NewOptions64(-1, progressbar.OptionSetDescription(name), progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("行"), progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(false), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())}
}

// update is the loader's Progress callback (nil when nothing is drawn).
func (p *rowProgress) update() func(int) {
	if p == nil {
		return nil
	}
	return func(done int) {
		_ = p.bar.Add(done - p.last)
		p.last = done
	}
}

// finish clears the bar so the file's log line stands alone.
func (p *rowProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
