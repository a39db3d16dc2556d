package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"kam/pipeline/core"
)

// hashFile returns the SHA-256 (hex) and size of a file.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// temporaryName reports partial downloads and temporary copies, never ours to take.
func temporaryName(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasSuffix(name, "~") {
		return true
	}
	for _, suffix := range []string{".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp"} {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	return false
}

// freeName returns the path in dir of name, or of name with " (2)", " (3)"…
// before its extension, whichever does not exist yet; core.FileIn proves it
// lies inside dir, and a name no folder takes (., .., a path) is refused.
func freeName(dir, name string) (string, error) {
	ext := filepath.Ext(name)
	if strings.HasSuffix(strings.ToLower(name), errorBookSuffix) {
		ext = name[len(name)-len(errorBookSuffix):]
	}
	if len(ext) > core.MaxNameBytes/2 {
		ext = "" // no extension leaves a clash suffix so little room: the suffix goes last
	}
	base := strings.TrimSuffix(name, ext)
	candidate := name
	for i := 2; ; i++ {
		path, err := core.FileIn(dir, candidate)
		if err != nil {
			return "", err
		}
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) || i > 10000 {
			return path, nil
		}
		n := fmt.Sprintf(" (%d)", i)
		candidate = core.ShortenName(base, core.MaxNameBytes-len(n)-len(ext)) + n + ext // a clash suffix must not make the name too long
	}
}

// moveInto moves src into dir without ever overwriting: a clash gets a
// suffix. It returns the new path.
func moveInto(src, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for attempt := 0; attempt < 100; attempt++ {
		dst, err := freeName(dir, filepath.Base(src))
		if err != nil {
			return "", err
		}
		// link+remove instead of rename: link fails rather than replace an existing file.
		err = os.Link(src, dst)
		if err == nil {
			return dst, os.Remove(src)
		}
		if errors.Is(err, fs.ErrExist) {
			continue // another process took that name between the check and the link
		}
		// Different file systems or no hard links: copy, then remove the original.
		if err := copyExclusive(src, dst); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return "", err
		}
		return dst, os.Remove(src)
	}
	return "", fmt.Errorf("no free name for %s in %s", filepath.Base(src), dir)
}

func copyExclusive(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	// A moved file keeps its mode, as it does when moved by a link.
	return writeExclusive(dst, info.Mode().Perm(), func(w io.Writer) error { _, err := io.Copy(w, in); return err })
}

// writeExclusive creates path (failing if it exists) with mode, whatever the
// umask, and fsyncs it, so a file we report as written really is.
func writeExclusive(path string, mode fs.FileMode, fill func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

const errorBookSuffix = ".errors.xlsx"

// errorBookPath is where a rejected file's error workbook goes: beside it,
// named after it, the name shortened (on a character boundary, with "…")
// when the file's own name leaves no room for ".errors.xlsx", and given a
// clash suffix when an earlier rejection's workbook has that name.
func errorBookPath(rejected string) (string, error) {
	dir, base := filepath.Split(rejected)
	if len(base)+len(errorBookSuffix) > core.MaxNameBytes {
		base = core.ShortenName(base, core.MaxNameBytes-len(errorBookSuffix)-len("…")) + "…"
	}
	return freeName(dir, base+errorBookSuffix)
}

// writeErrorBook writes a rejected file's error workbook beside it (never over
// an earlier one) and returns its path; "" and the reason when it was not written.
func writeErrorBook(a *core.App, rejected string, book []byte) (string, error) {
	path, err := errorBookPath(rejected)
	if err == nil && a.FailErrorBook != nil {
		err = a.FailErrorBook(path)
	}
	if err == nil {
		err = writeExclusive(path, a.SharedMode(), func(w io.Writer) error { _, err := w.Write(book); return err })
	}
	if err != nil {
		return "", err
	}
	return path, nil
}
