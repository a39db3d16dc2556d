package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"kam/domain"
	"kam/pipeline/core"
	"kam/store"
)

// CheckResult is kam check's verdict on one file: what ingest would do with it now.
type CheckResult struct {
	Path      string
	Kind      domain.Kind
	Outcome   string // OutcomeLoaded (would load), OutcomeRejected, OutcomeDuplicate
	Rows      int
	Errors    int
	Reason    string // a file-level reason, or the first bad row
	ErrorBook string // the error workbook written beside the file
	Impacts   []store.RevenueImpact
}

// Check validates each file exactly as ingest would — the same loaders, the
// references stored now, the revenue impact and the shrink guard — in a
// transaction that always rolls back. A bad file gets its error workbook
// beside it; nothing else changes: no record, no move, no mail.
func Check(ctx context.Context, a *core.App, paths []string) ([]CheckResult, error) {
	refs, err := a.Store.Refs(ctx)
	if err != nil {
		return nil, domain.Failed(err, "读取已导入的单位、客户经理与客户")
	}
	var out []CheckResult
	for _, path := range paths {
		r, err := checkFile(a, ctx, path, refs)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func checkFile(a *core.App, ctx context.Context, path string, refs *store.RefSnapshot) (CheckResult, error) {
	res := CheckResult{Path: path}
	info, err := os.Stat(path)
	if err != nil {
		return res, domain.Usagef("无法读取 %s：%v", path, err)
	}
	if info.IsDir() {
		return res, domain.Usagef("%s 是文件夹；请指定要检查的文件", path)
	}
	c, x := openCandidate(a, path)
	if x != nil {
		defer x.Close()
		c.kind = x.Kind()
	}
	// A file in 确认替换/ is checked as confirmed, as ingest would load it.
	c.confirmed = filepath.Base(filepath.Dir(path)) == ConfirmFolder
	res.Kind = c.kind
	name := filepath.Base(path)
	if c.openErr != nil {
		return checkRejected(a, res, c, []domain.RowError{wholeFile(name, c.openErr.Reason)}, 1, nil)
	}
	prev, found, err := a.Store.FileBySHA(ctx, c.sha)
	if err != nil {
		return res, domain.Failed(err, "查询已导入的文件")
	}
	if found && prev.Outcome == store.FileLoaded {
		holds, err := a.Store.StillHolds(ctx, prev)
		if err != nil {
			return res, domain.Failed(err, "查询已导入的文件")
		}
		if holds {
			res.Outcome, res.Reason = OutcomeDuplicate, "与已导入的 "+prev.Name+" 完全相同，不会再次导入"
			return res, nil
		}
		c.replaces = &prev // loading it again would undo the files that replaced its data
	}
	rec := store.FileRecord{Name: name, SHA256: c.sha, Size: c.size, Kind: c.kind, StartedAt: a.Clock().UTC(), Confirmed: c.confirmed}
	v := loadFile(a, ctx, c, x, refs, &rec, time.Now(), nil, true, nil)
	res.Rows, res.Impacts = v.result.Rows, v.impacts
	switch {
	case errors.Is(v.err, errCheckOnly):
		res.Outcome = OutcomeLoaded
		return res, nil
	case errors.Is(v.err, errRejected):
		return checkRejected(a, res, c, v.result.Errors, v.result.ErrorCount, nil)
	case errors.Is(v.err, errShrinks):
		errs, reason := shrinkErrors(a, v.shrunk)
		res.Reason = reason
		return checkRejected(a, res, c, errs, len(errs), func(string) ([]byte, error) { return impactWorkbook(a, name, errs, v.impacts) })
	case isFileFault(v.err):
		return checkRejected(a, res, c, []domain.RowError{wholeFile(name, fileFault(v.err))}, 1, nil)
	}
	return res, domain.Failed(v.err, "检查 %s", name)
}

// checkRejected writes the file's error workbook beside it, the one ingest would write.
func checkRejected(a *core.App, res CheckResult, c *candidate, errs []domain.RowError, total int, makeBook func(path string) ([]byte, error)) (CheckResult, error) {
	res.Outcome, res.Errors = OutcomeRejected, total
	if res.Reason == "" && len(errs) > 0 {
		res.Reason = errs[0].Reason
		if errs[0].Row > 0 {
			res.Reason = errs[0].Error()
		}
	}
	if makeBook == nil {
		makeBook = func(path string) ([]byte, error) { return errorWorkbook(a, c, path, errs, total) }
	}
	book, err := makeBook(c.path)
	if err != nil {
		return res, domain.Failed(err, "生成错误明细")
	}
	if res.ErrorBook, err = writeErrorBook(a, c.path, book); err != nil {
		return res, domain.Failed(err, "在 %s 旁写出错误明细", c.path)
	}
	return res, nil
}
