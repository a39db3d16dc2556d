// Package ingest owns the way in: a file from the inbox to the store (loaded
// whole in one transaction, or rejected whole with its error workbook and
// notice), the files' moves to processed/ and rejected/, `kam check`'s dry
// load, and the import templates. The loaders are its one gate for bad data;
// it writes through store and tells people through mail. It may not import
// jobs, daemon, web or cmd.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"kam/domain"
	"kam/loaders"
	"kam/pipeline/core"
	"kam/pipeline/mail"
	"kam/reports"
	"kam/store"
)

// Task names the inbox scan in the schedule and its lock: one scan at a time across instances.
const Task = "ingest"

// Outcomes of one inbox file.
const (
	OutcomeLoaded    = "loaded"
	OutcomeRejected  = "rejected"
	OutcomeDuplicate = "duplicate"
	OutcomeWaiting   = "waiting" // still being written; left for the next scan
)

// FileResult is what happened to one file of a scan.
type FileResult struct {
	Name      string
	Kind      domain.Kind
	Outcome   string
	Rows      int
	Errors    int
	MovedTo   string
	Reason    string                // file-level reason of a rejection
	Unit      string                // the unit whose inbox folder it came from
	Confirmed bool                  // from 确认替换/: loaded past the shrink guard
	Impacts   []store.RevenueImpact // a revenue file's rows and amounts before → after, per (month, line)
	// Note says what else happened to the file: loaded again after a change, or a re-drop that undid later files.
	Note     string
	recordID int64
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

// errShrinks rolls back a revenue file that would remove too much of what is stored (SPEC §3.2).
var errShrinks = errors.New("revenue file shrinks stored revenue")

// candidate is an inbox file ready to load, with its kind already read. Only
// the file that loads first keeps its extract open (most scans see one file);
// the others are opened again in turn, since an open workbook holds its sheet
// and a batch may bring many large ones.
type candidate struct {
	path      string
	sha       string
	size      int64
	kind      domain.Kind
	extract   *loaders.Extract
	openErr   *loaders.FileError
	unit      string // from inbox/<单位编码>/
	confirmed bool   // from inbox/确认替换/
	// info is the file as it was before kam read it: if the path names another
	// file, or this one with another size or time, before the commit, the
	// version kam read may never have existed whole, and nothing is kept (SPEC §3.3).
	info os.FileInfo
	gone bool // moved away or renamed before kam could read it
	// replaces is the loaded record of the same bytes whose data later files
	// replaced: loading them again undoes those files (a re-dropped original).
	replaces *store.FileRecord
	// reload is the loaded record of a file in processed/ that changed after
	// its load (a copy that went on): it loads again whole from there.
	reload *store.FileRecord
}

// loadsBefore is SPEC §3's load order, then the file name.
func loadsBefore(x, y *candidate) int {
	if d := kindRank(x.kind) - kindRank(y.kind); d != 0 {
		return d
	}
	return strings.Compare(filepath.Base(x.path), filepath.Base(y.path))
}

// Scan scans the inbox once: every settled file is loaded whole in one
// transaction, or rejected whole with an error workbook beside it. The error
// return is for failures of kam itself (database down, folder unwritable);
// bad files are outcomes, not errors.
func Scan(ctx context.Context, a *core.App) (_ ScanResult, err error) {
	defer func() { err = databaseDown(err) }()
	start, began := a.Clock(), time.Now() // the clock for records, the machine's for durations
	var res ScanResult
	// One scan at a time across instances: two would race to load and move the same files.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := a.Store.LockRun(ctx, Task, func(err error) { cancel(fmt.Errorf("lost the ingest lock: %w", err)) })
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
	settled, waiting, err := settledFiles(a, ctx)
	if err != nil {
		return res, err
	}
	changed, moving, err := changedSinceLoad(a, ctx)
	if err != nil {
		return res, err
	}
	settled, waiting = append(settled, changed...), append(waiting, moving...)
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
	for _, f := range settled {
		c, x := openCandidate(a, f.path)
		c.unit, c.confirmed, c.reload = f.unit, f.confirmed, f.reload
		switch {
		case c.openErr != nil || c.gone:
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
		fr, err := ingestFile(a, ctx, c, refs, scanID, lock)
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
func openCandidate(a *core.App, path string) (*candidate, *loaders.Extract) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &candidate{path: path, gone: true}, nil
	}
	sha, size, err := hashFile(path)
	c := &candidate{path: path, sha: sha, size: size, info: info}
	if errors.Is(err, fs.ErrNotExist) {
		c.gone = true
		return c, nil
	}
	if err != nil {
		c.sha = unreadableSHA(path, err)
		c.openErr = &loaders.FileError{Reason: "无法读取文件：" + err.Error()}
		return c, nil
	}
	if limit := maxFileBytes(a); size > limit {
		c.openErr = &loaders.FileError{Reason: fmt.Sprintf("文件有 %s，超过 %d MB 的上限（ingest.max_file_mb）；请分成几个较小的文件",
			sizeMB(size), limit>>20)}
		return c, nil
	}
	x, fe := openExtract(path)
	c.openErr = fe
	return c, x
}

// openExtract is loaders.Open that turns any failure, a panic included, into the file's reason to be rejected.
func openExtract(path string) (x *loaders.Extract, fe *loaders.FileError) {
	defer func() {
		if r := recover(); r != nil {
			x, fe = nil, &loaders.FileError{Reason: fmt.Sprintf("读取文件时出错（%v），文件可能已损坏", r)}
		}
	}()
	x, err := loaders.Open(path)
	switch {
	case errors.As(err, &fe):
	case err != nil:
		fe = &loaders.FileError{Reason: "无法读取文件：" + err.Error()}
	}
	return x, fe
}

// unreadableSHA names a file whose bytes could not be hashed, so its record is still unique.
func unreadableSHA(path string, err error) string {
	sum := sha256.Sum256([]byte(strings.ToLower(path + "\x00" + err.Error())))
	return "unreadable:" + hex.EncodeToString(sum[:4])
}

func maxFileBytes(a *core.App) int64 {
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

// inboxFile is a file of the inbox or of one of its folders, with what its folder means.
type inboxFile struct {
	path      string
	unit      string            // dropped in inbox/<单位编码>/
	confirmed bool              // dropped in inbox/确认替换/
	reload    *store.FileRecord // a file of processed/ that changed after this load of it
}

// ConfirmFolder is the inbox folder whose revenue files load past the shrink guard (SPEC §3.2).
const ConfirmFolder = "确认替换"

// listInbox lists the files kam reads: the inbox's own, 确认替换/'s and those
// of a folder named after a stored unit. Everything else it will not read
// (symbolic links, hidden files, other folders, names it cannot represent) is
// recorded and logged the first time it is seen, and left where it is.
func listInbox(a *core.App, ctx context.Context) ([]inboxFile, error) {
	var refs *store.RefSnapshot // read only when a folder needs its name checked
	var files []inboxFile
	var unread []store.UnreadFile
	skip := func(rel, reason string) {
		unread = append(unread, store.UnreadFile{Path: representable(rel), Reason: reason, FirstSeen: a.Clock()})
	}
	own := map[string]bool{}
	for _, p := range []string{a.Cfg.Paths.Processed, a.Cfg.Paths.Rejected, a.Cfg.Paths.Reports} {
		if abs, err := filepath.Abs(p); err == nil {
			own[abs] = true
		}
	}
	var walk func(dir, rel string, depth int, unit string, confirmed bool) error
	walk = func(dir, rel string, depth int, unit string, confirmed bool) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if depth == 0 {
				return fmt.Errorf("read inbox: %w", err)
			}
			skip(rel, "无法读取该文件夹："+err.Error())
			return nil
		}
		for _, e := range entries {
			name := e.Name()
			path, unusable := core.FileIn(dir, name) // a name kam could not move to processed/ or rejected/
			r := filepath.Join(rel, name)
			if abs, err := filepath.Abs(path); unusable == nil && err == nil && own[abs] {
				continue // kam's own processed/, rejected/ or reports/ folder inside the inbox
			}
			switch {
			case strings.HasPrefix(name, "~$") || temporaryName(name):
				continue // Excel's lock files and partial copies: left alone in silence (SPEC §3)
			case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
				skip(r, "文件名含有无法识别的字符，kam 不读取；请改用正常的文件名")
			case strings.HasPrefix(name, "."):
				skip(r, "以「.」开头的隐藏文件，kam 不读取；如需导入请去掉开头的「.」")
			case unusable != nil:
				skip(r, domain.Message(unusable)+"；kam 不读取，请改用正常的文件名")
			case e.Type()&fs.ModeSymlink != 0:
				skip(r, "这是快捷方式（符号链接），kam 不读取；请放入文件本身")
			case e.IsDir():
				if refs == nil && depth == 0 && name != ConfirmFolder {
					var err error
					if refs, err = a.Store.Refs(ctx); err != nil {
						return err
					}
				}
				// inbox/zq14/ is unit ZQ14's folder: its name is read as a 单位编码 is (SPEC §3.3).
				code, isUnit := "", false
				if refs != nil {
					if c, err := domain.ParseUnitCode(name); err == nil {
						_, isUnit = refs.Unit(c)
						code = c
					}
				}
				switch {
				case depth > 0:
					skip(r, "kam 只读取收件目录及其下一层文件夹中的文件")
				case name == ConfirmFolder:
					if err := walk(path, r, 1, "", true); err != nil {
						return err
					}
				case isUnit:
					if err := walk(path, r, 1, code, false); err != nil {
						return err
					}
				default:
					skip(r, "文件夹名既不是「"+ConfirmFolder+"」也不是已导入的单位编码，kam 不读取其中的文件")
				}
			case !e.Type().IsRegular():
				skip(r, "不是普通文件，kam 不读取")
			default:
				files = append(files, inboxFile{path: path, unit: unit, confirmed: confirmed})
			}
		}
		return nil
	}
	if err := walk(a.Cfg.Paths.Inbox, "", 0, "", false); err != nil {
		return nil, err
	}
	fresh, err := a.Store.SyncUnreadFiles(ctx, unread)
	if err != nil {
		return nil, err
	}
	for _, u := range fresh {
		a.Log.Warn().Str("file", u.Path).Str("reason", u.Reason).Msg("收件目录中有 kam 不读取的文件，已留在原处")
	}
	return files, nil
}

// representable writes a name that is not valid text with its odd bytes escaped, so it can be stored and shown.
func representable(name string) string {
	if utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsControl) {
		return name
	}
	q := strconv.QuoteToGraphic(name)
	return q[1 : len(q)-1]
}

// settledFiles lists inbox files that are ours to take and no longer being
// written: a file touched within the quiet period is looked at again after
// it, and left for the next scan if its size or mtime still moved.
func settledFiles(a *core.App, ctx context.Context) (settled []inboxFile, waiting []string, err error) {
	files, err := listInbox(a, ctx)
	if err != nil {
		return nil, nil, err
	}
	quiet := a.Cfg.Ingest.QuietPeriod.Duration
	type seen struct {
		f     inboxFile
		size  int64
		mtime time.Time
	}
	var recent []seen
	var youngest time.Time
	for _, f := range files {
		info, err := os.Stat(f.path)
		if err != nil {
			continue // vanished meanwhile: not ours any more
		}
		if a.Clock().Sub(info.ModTime()) >= quiet { // a modification time ahead of the clock counts as recent
			if arriving(a, f.path, info) {
				waiting = append(waiting, filepath.Base(f.path))
				continue
			}
			settled = append(settled, f)
			continue
		}
		recent = append(recent, seen{f, info.Size(), info.ModTime()})
		if info.ModTime().After(youngest) {
			youngest = info.ModTime()
		}
	}
	if len(recent) > 0 {
		wait := max(0, min(youngest.Add(quiet).Sub(a.Clock()), quiet))
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
		for _, r := range recent {
			info, err := os.Stat(r.f.path)
			if err != nil {
				continue
			}
			if info.Size() == r.size && info.ModTime().Equal(r.mtime) && !arriving(a, r.f.path, info) {
				settled = append(settled, r.f)
			} else {
				waiting = append(waiting, filepath.Base(r.f.path))
			}
		}
	}
	slices.SortFunc(settled, func(x, y inboxFile) int { return strings.Compare(x.path, y.path) })
	return settled, waiting, nil
}

// arriving says a settled file still looks cut short — a CSV that ends inside
// a row (no line end after its last row), a workbook without the end of its
// zip, an empty file — and has not yet stood still for ingest.incomplete_wait:
// it is a copy that paused, and waits like a growing file (SPEC §3.3).
func arriving(a *core.App, path string, info os.FileInfo) bool {
	wait := a.Cfg.Ingest.IncompleteWait.Duration
	if wait <= 0 || a.Clock().Sub(info.ModTime()) >= wait || !endsMidway(path, info.Size()) {
		return false
	}
	a.Log.Info().Str("file", filepath.Base(path)).Msg("文件看起来还没有复制完（末行不完整或工作簿不完整），等待复制完成")
	return true
}

// endsMidway reads the end of a file: a text file whose last byte is not a
// line end, a workbook (zip) whose end record is missing, or nothing at all.
func endsMidway(path string, size int64) bool {
	if size == 0 {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false // the load says what is wrong with it
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt", ".tsv":
		var last [1]byte
		if _, err := f.ReadAt(last[:], size-1); err != nil {
			return false
		}
		return last[0] != '\n' && last[0] != '\r'
	case ".xlsx", ".xlsm":
		// The end of central directory record sits in the last 22 bytes, or before a comment of up to 64 KiB.
		n := min(size, 22+1<<16)
		tail := make([]byte, n)
		if _, err := f.ReadAt(tail, size-n); err != nil {
			return false
		}
		return !bytes.Contains(tail, []byte("PK\x05\x06"))
	}
	return false
}

// changedSinceLoad finds the files of processed/ loaded within
// ingest.watch_loaded that have changed since (a copy that paused past the
// quiet period, then went on into the file kam had moved): each is loaded
// again whole where it is, or waits while it still moves.
func changedSinceLoad(a *core.App, ctx context.Context) (changed []inboxFile, moving []string, err error) {
	watch := a.Cfg.Ingest.WatchLoaded.Duration
	if watch <= 0 {
		return nil, nil, nil
	}
	recs, err := a.Store.LoadedSince(ctx, a.Clock().Add(-watch))
	if err != nil {
		return nil, nil, err
	}
	for i := range recs {
		rec := &recs[i]
		info, err := os.Stat(rec.StoredAs)
		if err != nil || !info.Mode().IsRegular() {
			continue // moved away by someone: nothing of it to keep in step
		}
		if info.Size() == rec.Size && !info.ModTime().After(rec.StartedAt) {
			continue
		}
		if sha, _, err := hashFile(rec.StoredAs); err != nil || sha == rec.SHA256 {
			continue // touched, not changed
		}
		if a.Clock().Sub(info.ModTime()) < a.Cfg.Ingest.QuietPeriod.Duration || arriving(a, rec.StoredAs, info) {
			moving = append(moving, filepath.Base(rec.StoredAs))
			continue
		}
		a.Log.Warn().Str("file", rec.Name).Str("stored_as", rec.StoredAs).Msg("已导入的文件之后又有变化，将按现在的内容重新导入")
		changed = append(changed, inboxFile{path: rec.StoredAs, unit: rec.Unit, confirmed: rec.Confirmed, reload: rec})
	}
	return changed, moving, nil
}

// ingestFile loads one file in one transaction, or rejects it whole. The load
// commits only while the scan holds the ingest lock (lock.Check).
func ingestFile(a *core.App, ctx context.Context, c *candidate, refs *store.RefSnapshot, scanID int64, lock *store.RunLock) (FileResult, error) {
	start := time.Now()
	name := filepath.Base(c.path)
	fr := FileResult{Name: name, Kind: c.kind}
	rec := store.FileRecord{Name: name, SHA256: c.sha, Size: c.size, Kind: c.kind, StartedAt: a.Clock().UTC(), ScanID: scanID,
		Unit: c.unit, Confirmed: c.confirmed}
	log := a.Log.With().Str("file", name).Str("kind", string(c.kind)).Logger()
	if c.gone {
		return skipped(a, fr, "扫描期间文件被移走或改名，本次跳过")
	}

	prev, found, err := a.Store.FileBySHA(ctx, c.sha)
	if err != nil {
		return fr, err
	}
	if found && prev.Outcome == store.FileLoaded {
		holds, err := a.Store.StillHolds(ctx, prev)
		if err != nil {
			return fr, err
		}
		if holds {
			return duplicate(a, ctx, c, rec, fr, prev.Name, start)
		}
		// The same bytes, but later files have replaced what they loaded: dropping them again undoes those files.
		c.replaces = &prev
		fr.Note = "与已导入的 " + prev.Name + " 内容相同，但其数据已被后来导入的文件替换：现按此文件重新导入（撤销更正）"
	}
	if c.reload != nil {
		fr.Note = "此文件在上次导入后又有变化（当时复制尚未完成？）：已按现在的完整内容重新导入"
	}

	fe, x := c.openErr, c.extract
	c.extract = nil // closed below, with the load
	if fe == nil && x == nil {
		x, fe = openExtract(c.path)
	}
	defer func() {
		if x != nil {
			x.Close()
		}
	}()
	if fe != nil {
		return reject(a, ctx, c, rec, fr, []domain.RowError{wholeFile(name, fe.Reason)}, 1, start)
	}

	if x.Encoding() == "xlsx" {
		// excelize decodes a workbook's XML with an allocation per cell; collecting
		// half as often makes large workbooks load ~15% faster for a few tens of MB.
		defer core.TuneGC(200)()
	}
	bar := progressBar(a, c, x)
	defer bar.finish()
	// The load streams the file through its transaction, so a transaction the
	// database refused for a conflict cannot simply run again: each attempt
	// reads the file anew from its start, with the record as it was before.
	var v loadVerdict
	base, attempt := rec, 0
	err = a.Store.Retry(ctx, "导入文件 "+name, func() error {
		if attempt++; attempt > 1 {
			x.Close()
			if x, fe = openExtract(c.path); fe != nil {
				x = nil
				v = loadVerdict{err: errChanged} // no longer readable as it was: the next scan looks again
				return v.err
			}
		}
		rec = base
		v = loadFile(a, ctx, c, x, refs, &rec, start, bar.update(), false, lock)
		return v.err
	})
	result, impacts, shrunk := v.result, v.impacts, v.shrunk
	fr.Rows = result.Rows
	switch {
	case errors.Is(err, errChanged):
		return skipped(a, fr, "读取期间文件被改动或替换，没有导入；下次扫描会重新整体读取")
	case errors.Is(err, store.ErrAlreadyLoaded):
		return duplicate(a, ctx, c, rec, fr, "（另一进程刚导入的同一文件）", start) // lost the race to another instance
	case errors.Is(err, errRejected):
		rec.ID = 0 // the loaded record rolled back with the rows
		return reject(a, ctx, c, rec, fr, result.Errors, result.ErrorCount, start)
	case errors.Is(err, errShrinks):
		rec.ID = 0
		return rejectShrinking(a, ctx, c, rec, fr, impacts, shrunk, start)
	case isFileFault(err):
		// The file's own fault (a value the database refused, a workbook that broke the reader): reject it, go on.
		rec.ID = 0
		return reject(a, ctx, c, rec, fr, []domain.RowError{wholeFile(name, fileFault(err))}, 1, start)
	case err != nil && domain.KindOf(err) == domain.EInternal && !store.Unavailable(err) && errors.As(err, new(*domain.Error)):
		return fr, domain.Failed(err, "导入 %s ", name) // says what to do (retries spent, a cluster's limit): name the file
	case err != nil:
		return fr, fmt.Errorf("load %s: %w", name, err)
	}
	fr.Outcome = OutcomeLoaded
	switch {
	case c.reload != nil:
		fr.MovedTo = c.path // loaded again where it is: processed/
	default:
		fr.MovedTo, err = moveInto(c.path, a.Cfg.Paths.Processed)
		if errors.Is(err, fs.ErrNotExist) {
			// Gone between the commit and the move: the store has it, processed/ cannot.
			log.Warn().Msg("文件已导入，但随后被移走，processed/ 中没有它的副本")
			fr.MovedTo, err = "", nil
		}
		if err != nil {
			return fr, err
		}
	}
	rec.StoredAs = fr.MovedTo
	if _, err := a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	fr.Impacts, fr.Unit, fr.Confirmed = impacts, c.unit, c.confirmed
	ev := log.Info().Str("outcome", fr.Outcome).Int("rows", fr.Rows).Dur("duration", fr.Duration).
		Float64("rows_per_s", float64(fr.Rows)/max(fr.Duration.Seconds(), 1e-9))
	if c.unit != "" {
		ev = ev.Str("unit", c.unit)
	}
	if impacts != nil {
		ev = ev.Str("impact", ImpactLine(impacts)).Bool("confirmed", c.confirmed)
	}
	if fr.Note != "" {
		ev = ev.Str("note", fr.Note)
		note := mail.LoadNote{Name: name, ID: rec.ID, Unit: c.unit, Note: fr.Note, Rows: fr.Rows}
		if impacts != nil {
			note.Impact = ImpactLine(impacts)
		}
		if err := mail.QueueLoadNote(ctx, a, note); err != nil {
			return fr, err
		}
	}
	ev.Msg("文件已导入")
	return fr, nil
}

// errCheckOnly ends a kam check's load transaction: everything was validated, nothing is kept.
var errCheckOnly = errors.New("checked only")

// loadVerdict is what loading one file in its transaction found.
type loadVerdict struct {
	result          loaders.Result
	impacts, shrunk []store.RevenueImpact
	err             error // errRejected, errShrinks, errCheckOnly, or why the load failed
}

// loadFile loads x in one transaction, exactly as ingest does: the file's
// record first, every row through the loaders' checks against refs, then the
// revenue impact and the shrink guard. With checkOnly the transaction always
// rolls back (errCheckOnly when the file would load): kam check's verdict.
func loadFile(a *core.App, ctx context.Context, c *candidate, x *loaders.Extract, refs *store.RefSnapshot, rec *store.FileRecord,
	start time.Time, progress func(int), checkOnly bool, lock *store.RunLock) loadVerdict {
	var v loadVerdict
	// Once: x is read as the rows go in (the caller reopens it to try again).
	v.err = a.Store.InTxOnce(ctx, func(tx *store.Tx) error {
		for _, old := range []*store.FileRecord{c.replaces, c.reload} {
			if old != nil {
				if err := tx.RetireFile(old.ID); err != nil {
					return err
				}
			}
		}
		rec.Outcome = store.FileLoaded
		id, err := tx.RecordFile(*rec) // first: revenue rows are tagged with the file's id
		if err != nil {
			return err
		}
		rec.ID = id
		w := &measuredWriter{Tx: tx}
		v.result, err = loadExtract(x, loaders.Env{
			Refs:      refs,
			Lines:     a.Cfg.BusinessLines,
			Today:     a.Today(),
			MaxErrors: a.Cfg.Ingest.MaxErrorsListed,
			Progress:  progress,
		}, w)
		if err != nil {
			return err
		}
		if v.result.ErrorCount > 0 {
			return errRejected
		}
		if v.impacts = w.impacts; v.impacts != nil {
			if v.shrunk = shrinking(a, v.impacts); len(v.shrunk) > 0 && !c.confirmed {
				return errShrinks
			}
			if err := tx.RecordImpacts(id, v.impacts); err != nil {
				return err
			}
		}
		if checkOnly {
			return errCheckOnly
		}
		if a.FailLoad != nil {
			if err := a.FailLoad(); err != nil {
				return err
			}
		}
		// Last, before the commit: the file kam read must still be the one it hashed.
		if err := c.unchanged(); err != nil {
			return err
		}
		rec.Rows, rec.FinishedAt, rec.DurationMS = v.result.Rows, a.Clock().UTC(), time.Since(start).Milliseconds()
		if _, err = tx.RecordFile(*rec); err != nil {
			return err
		}
		return lock.Check(tx) // a scan whose ingest lease was taken over keeps nothing
	})
	return v
}

// errChanged rolls back a load whose file changed while kam read it.
var errChanged = errors.New("file changed while it was read")

// unchanged is errChanged when the path no longer names the file kam hashed
// and read, unchanged: overwritten in place (its size or time moved),
// replaced by a rename, or gone.
func (c *candidate) unchanged() error {
	if c.info == nil {
		return nil // kam check of a file it does not keep
	}
	now, err := os.Stat(c.path)
	if err != nil || !os.SameFile(c.info, now) || now.Size() != c.info.Size() || !now.ModTime().Equal(c.info.ModTime()) {
		return errChanged
	}
	return nil
}

// skipped leaves a file where it is for a later scan, saying why: it is not recorded.
func skipped(a *core.App, fr FileResult, why string) (FileResult, error) {
	fr.Outcome, fr.Reason = OutcomeWaiting, why
	a.Log.Warn().Str("file", fr.Name).Str("outcome", fr.Outcome).Msg(why)
	return fr, nil
}

// measuredWriter is the transaction a file loads in, measuring a revenue
// file's impact on each (month, line): what it writes, counted as it goes by,
// against what was stored before, read just before the replacement.
type measuredWriter struct {
	*store.Tx
	impacts []store.RevenueImpact
	after   map[domain.MonthLine]*written
	last    *written // rows come in runs of one (month, line)
}

// written is what a file writes to one (month, line), summed exactly (SPEC
// §3.3): each amount fits, thousands of the largest do not.
type written struct {
	domain.MonthLine
	rows        int64
	amount, abs domain.Sum
}

func (w *measuredWriter) PutRevenue(rows []domain.Revenue) error {
	if w.after == nil {
		w.after = map[domain.MonthLine]*written{}
	}
	for i := range rows {
		r := &rows[i]
		im := w.last
		if im == nil || im.Month != r.Month || im.Line != r.Line {
			k := domain.MonthLine{Month: r.Month, Line: r.Line}
			if im = w.after[k]; im == nil {
				im = &written{MonthLine: k}
				w.after[k] = im
			}
			w.last = im
		}
		im.rows++
		im.amount.Add(r.Amount)
		if r.Amount < 0 {
			im.abs.Sub(r.Amount)
		} else {
			im.abs.Add(r.Amount)
		}
	}
	return w.Tx.PutRevenue(rows)
}

func (w *measuredWriter) FinishRevenue(pairs []domain.MonthLine) error {
	// A total beyond Money is the file's fault: it is rejected, never stored to be summed wrong later.
	for _, p := range pairs {
		a := w.after[p]
		if a == nil {
			continue
		}
		if _, ok := a.amount.Total(); !ok {
			return tooLarge(a, "")
		}
		if _, ok := a.abs.Total(); !ok {
			return tooLarge(a, "按绝对值（冲减、退款按正数计）")
		}
	}
	im, err := w.Tx.RevenueBefore(pairs)
	if err != nil {
		return err
	}
	for i := range im {
		if a := w.after[domain.MonthLine{Month: im[i].Month, Line: im[i].Line}]; a != nil {
			im[i].RowsAfter = a.rows
			im[i].AmountAfter, _ = a.amount.Total()
			im[i].AbsAfter, _ = a.abs.Total()
		}
	}
	w.impacts = im
	return w.Tx.FinishRevenue(pairs)
}

// tooLarge rejects a revenue file whose sum for one (month, line) does not fit in Money.
func tooLarge(a *written, how string) *loaders.FileError {
	return &loaders.FileError{Reason: fmt.Sprintf("文件中 %s %s 的 %d 行收入无法精确汇总：%s%v，整个文件被退回；"+
		"请检查是否有写错的金额（例如多打了几位数）", a.Month, a.Line, a.rows, how, domain.ErrOverflow)}
}

// shrinking lists the (month, line) pairs a file would cut by more than
// ingest.shrink_alert_percent of their stored rows or absolute amount.
func shrinking(a *core.App, im []store.RevenueImpact) []store.RevenueImpact {
	pct := int64(shrinkPct(a))
	var out []store.RevenueImpact
	for _, r := range im {
		if cutsMore(r.RowsBefore, r.RowsAfter, pct) || cutsMore(int64(r.AbsBefore), int64(r.AbsAfter), pct) {
			out = append(out, r)
		}
	}
	return out
}

// cutsMore reports whether after falls short of before by more than pct
// percent of before: (before − after) × 100 > pct × before, in 128 bits, as
// amounts near the limit times 100 do not fit in 64. All three are ≥ 0: counts,
// sums of absolute amounts, the configured percentage.
func cutsMore(before, after, pct int64) bool {
	if before <= after {
		return false
	}
	cutHi, cutLo := bits.Mul64(uint64(before-after), 100)
	barHi, barLo := bits.Mul64(uint64(pct), uint64(before))
	return cutHi > barHi || cutHi == barHi && cutLo > barLo
}

func shrinkPct(a *core.App) int {
	if p := a.Cfg.Ingest.ShrinkAlertPct; p > 0 {
		return p
	}
	return 50
}

// impactText is one (month, line)'s impact as staff read it.
func impactText(r store.RevenueImpact) string {
	return fmt.Sprintf("%s %s：%d 行 ¥%s → %d 行 ¥%s", r.Month, r.Line, r.RowsBefore, r.AmountBefore.Yuan(), r.RowsAfter, r.AmountAfter.Yuan())
}

func ImpactLine(im []store.RevenueImpact) string {
	parts := make([]string, len(im))
	for i, r := range im {
		parts[i] = impactText(r)
	}
	return strings.Join(parts, "；")
}

// rejectShrinking rejects a revenue file as 疑似不完整: one error row per
// (month, line) it would cut, the whole impact on a sheet of its own.
func rejectShrinking(a *core.App, ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, im, shrunk []store.RevenueImpact, start time.Time) (FileResult, error) {
	errs, reason := shrinkErrors(a, shrunk)
	fr.Reason = reason
	fr.Impacts = im
	book := func(string) ([]byte, error) { return impactWorkbook(a, fr.Name, errs, im) }
	fr, err := rejectWith(a, ctx, c, rec, fr, errs, len(errs), start, book)
	if err != nil || fr.recordID == 0 {
		return fr, err
	}
	return fr, a.Store.RecordImpacts(ctx, fr.recordID, im)
}

// isFileFault reports whether a load failed through the file's own fault —
// a workbook that broke the reader, a value the database refused — so the
// file is rejected and the scan goes on.
func isFileFault(err error) bool {
	var fe *loaders.FileError
	return errors.As(err, &fe) || store.IsDataError(err)
}

// fileFault is the reason, for staff, of a file fault.
func fileFault(err error) string {
	var fe *loaders.FileError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return "数据库拒绝了文件中的数据：" + err.Error()
}

// wholeFile is an error of the whole file rather than of one row.
func wholeFile(name, reason string) domain.RowError {
	return domain.RowError{Column: "（整个文件）", Value: name, Reason: reason}
}

// shrinkErrors are the error rows and the reason of a file rejected as 疑似不完整.
func shrinkErrors(a *core.App, shrunk []store.RevenueImpact) ([]domain.RowError, string) {
	errs := make([]domain.RowError, len(shrunk))
	for i, r := range shrunk {
		errs[i] = domain.RowError{Column: "（整个文件）", Value: fmt.Sprintf("%s %s", r.Month, r.Line),
			Reason: fmt.Sprintf("疑似不完整：导入后 %s，减少超过 %d%%（是一部分数据的更正，或只有一个单位的数据？）；"+
				"收入文件会整体替换其中每个月份和业务种类的收入。如确实要整体替换，请将同一文件放入收件目录下的「%s」文件夹",
				impactText(r), shrinkPct(a), ConfirmFolder)}
	}
	return errs, fmt.Sprintf("疑似不完整：%s", ImpactLine(shrunk))
}

// impactWorkbook is the error workbook of a file rejected as 疑似不完整, with its impact per (month, line).
func impactWorkbook(a *core.App, name string, errs []domain.RowError, im []store.RevenueImpact) ([]byte, error) {
	impacts := make([]reports.Impact, len(im))
	for i, r := range im {
		impacts[i] = reports.Impact{Month: r.Month, Line: r.Line, RowsBefore: r.RowsBefore, AmountBefore: r.AmountBefore,
			RowsAfter: r.RowsAfter, AmountAfter: r.AmountAfter}
	}
	return reports.ImpactWorkbook(reports.Meta{GeneratedAt: a.Clock()}, name, errs, impacts, ConfirmFolder)
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
func duplicate(a *core.App, ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, sameAs string, start time.Time) (FileResult, error) {
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
	rec.FinishedAt, rec.DurationMS = a.Clock().UTC(), time.Since(start).Milliseconds()
	if _, err := a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	a.Log.Info().Str("file", fr.Name).Str("kind", string(c.kind)).Str("outcome", fr.Outcome).Str("same_as", sameAs).
		Dur("duration", fr.Duration).Msg("重复文件，不再导入")
	return fr, nil
}

// reject moves the file to rejected/ with <name>.errors.xlsx beside it and records it.
func reject(a *core.App, ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, errs []domain.RowError, total int, start time.Time) (FileResult, error) {
	if len(errs) > 0 && errs[0].Row == 0 {
		fr.Reason = errs[0].Reason
	}
	book := func(path string) ([]byte, error) { return errorWorkbook(a, c, path, errs, total) }
	return rejectWith(a, ctx, c, rec, fr, errs, total, start, book)
}

// rejectWith rejects a file with the error workbook book makes.
func rejectWith(a *core.App, ctx context.Context, c *candidate, rec store.FileRecord, fr FileResult, errs []domain.RowError, total int, start time.Time, makeBook func(path string) ([]byte, error)) (FileResult, error) {
	// What kam found wrong may be a copy still under way, or a file replaced meanwhile: judge the file once it holds still.
	if err := c.unchanged(); err != nil {
		return skipped(a, fr, "读取期间文件被改动、替换或移走，没有处理；下次扫描会重新整体读取")
	}
	fr.Outcome, fr.Errors = OutcomeRejected, total
	fr.Unit, fr.Confirmed = c.unit, c.confirmed
	var err error
	if fr.MovedTo, err = moveInto(c.path, a.Cfg.Paths.Rejected); errors.Is(err, fs.ErrNotExist) {
		fr.Outcome, fr.Errors = "", 0
		return skipped(a, fr, "扫描期间文件被移走或改名，本次跳过")
	} else if err != nil {
		return fr, err
	}
	book, err := makeBook(fr.MovedTo)
	var errPath string
	if err == nil {
		errPath, err = writeErrorBook(a, fr.MovedTo, book)
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
	rec.Outcome, rec.ErrorCount, rec.Rows, rec.StoredAs, rec.ErrorBook = store.FileRejected, total, fr.Rows, fr.MovedTo, errPath
	rec.FinishedAt, rec.DurationMS = a.Clock().UTC(), time.Since(start).Milliseconds()
	if fr.recordID, err = a.Store.RecordFile(ctx, rec); err != nil {
		return fr, err
	}
	notice := mail.Rejection{Record: fr.recordID, Name: fr.Name, Kind: fr.Kind, SHA: rec.SHA256, MovedTo: fr.MovedTo, ErrorBook: fr.ErrorBook,
		Reason: fr.Reason, Unit: fr.Unit, Errors: errs, Total: total, Book: book}
	if err := mail.QueueRejection(ctx, a, notice); err != nil {
		return fr, err
	}
	fr.Duration = time.Since(start)
	ev := a.Log.Warn().Str("file", fr.Name).Str("kind", string(c.kind)).Str("outcome", fr.Outcome).
		Int("rows", fr.Rows).Int("errors", total).Str("error_workbook", errPath).Dur("duration", fr.Duration)
	if len(errs) > 0 {
		ev = ev.Str("first_error", errs[0].Error())
	}
	if c.unit != "" {
		ev = ev.Str("unit", c.unit)
	}
	if fr.Impacts != nil {
		ev = ev.Str("impact", ImpactLine(fr.Impacts))
	}
	ev.Msg("文件被退回")
	return fr, nil
}

// rowProgress draws a file's progress on a terminal while it loads: rows
// read, of a total estimated from a CSV's size (its first 256 KiB give the
// bytes per row), rate and time left. A nil *rowProgress draws nothing.
type rowProgress struct {
	name     string
	estimate int // rows the file likely holds, 0 when unknown (a workbook)
	start    time.Time
	lastDraw time.Time
}

func progressBar(a *core.App, c *candidate, x *loaders.Extract) *rowProgress {
	if !a.Progress {
		return nil
	}
	p := &rowProgress{name: filepath.Base(c.path), start: time.Now()}
	if x.Encoding() != "xlsx" {
		p.estimate = estimateRows(c.path, c.size)
	}
	return p
}

// estimateRows guesses a CSV's data rows from its size and its first lines.
func estimateRows(path string, size int64) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	n, _ := io.ReadFull(f, buf)
	lines := bytes.Count(buf[:n], []byte("\n"))
	if int64(n) >= size { // the whole file was read: the count is exact
		if n > 0 && buf[n-1] != '\n' {
			lines++
		}
		return max(lines-1, 0)
	}
	if lines < 2 {
		return 0
	}
	return int(float64(size) / (float64(n) / float64(lines)))
}

// update is the loader's Progress callback (nil when nothing is drawn).
func (p *rowProgress) update() func(int) {
	if p == nil {
		return nil
	}
	return func(done int) {
		if now := time.Now(); now.Sub(p.lastDraw) >= 100*time.Millisecond {
			p.lastDraw = now
			core.ShowStatus(p.line(done, now.Sub(p.start)))
		}
	}
}

// line is the bar for done rows after elapsed: name, bar, count, percent, rate, time left.
func (p *rowProgress) line(done int, elapsed time.Duration) string {
	name := p.name
	if r := []rune(name); len(r) > 30 {
		name = string(r[:29]) + "…"
	}
	rate := float64(done) / max(elapsed.Seconds(), 1e-3)
	if p.estimate <= 0 {
		return fmt.Sprintf("%s  %d 行  %.0f 行/s  已用 %s", name, done, rate, elapsed.Round(100*time.Millisecond))
	}
	total := max(p.estimate, done)
	frac := float64(done) / float64(total)
	const width = 24
	filled := min(int(frac*width), width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	left := time.Duration(float64(total-done) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%s  %s %d/约%d 行  %3.0f%%  %.0f 行/s  剩余 %s", name, bar, done, total, frac*100, rate, left)
}

// finish clears the bar so the file's line stands alone.
func (p *rowProgress) finish() {
	if p != nil {
		core.ClearStatus()
	}
}

// databaseDown names a lost database for the administrator, whichever read or
// write of the scan met it first (the scan's references, a file record, a load).
func databaseDown(err error) error {
	if err == nil || !store.Unavailable(err) {
		return err
	}
	var de *domain.Error
	if errors.As(err, &de) && strings.HasPrefix(de.Msg, "数据库") {
		return err
	}
	return &domain.Error{Kind: domain.EInternal, Msg: "数据库连接中断或无法连接，本次扫描没有做完；已导入的文件不受影响，请检查数据库后重试", Err: err}
}
