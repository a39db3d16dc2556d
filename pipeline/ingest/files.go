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
	"unicode/utf8"
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

// freeName returns name, or name with " (2)", " (3)"… before its extension,
// whichever does not exist yet in dir.
func freeName(dir, name string) string {
	ext := filepath.Ext(name)
	if strings.HasSuffix(strings.ToLower(name), ".errors.xlsx") {
		ext = name[len(name)-len(".errors.xlsx"):]
	}
	base := strings.TrimSuffix(name, ext)
	candidate := name
	for i := 2; ; i++ {
		if _, err := os.Lstat(filepath.Join(dir, candidate)); errors.Is(err, fs.ErrNotExist) || i > 10000 {
			return candidate
		}
		n := fmt.Sprintf(" (%d)", i)
		candidate = shortenName(base, maxNameBytes-len(n)-len(ext)) + n + ext // a clash suffix must not make the name too long
	}
}

// moveInto moves src into dir without ever overwriting: a clash gets a
// suffix. It returns the new path.
func moveInto(src, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for attempt := 0; attempt < 100; attempt++ {
		dst := filepath.Join(dir, freeName(dir, filepath.Base(src)))
		// link+remove instead of rename: link fails rather than replace an existing file.
		err := os.Link(src, dst)
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

// maxNameBytes is what common file systems allow one file name to be.
const maxNameBytes = 255

// errorBookPath is where a rejected file's error workbook goes: beside it,
// named after it, the name shortened (on a character boundary, with "…")
// when the file's own name leaves no room for ".errors.xlsx".
func errorBookPath(rejected string) string {
	dir, base := filepath.Split(rejected)
	const suffix = ".errors.xlsx"
	if len(base)+len(suffix) > maxNameBytes {
		base = shortenName(base, maxNameBytes-len(suffix)-len("…")) + "…"
	}
	return filepath.Join(dir, freeName(dir, base+suffix))
}

// shortenName cuts name to at most n bytes without splitting a character.
func shortenName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	for n > 0 && !utf8.RuneStart(name[n]) {
		n--
	}
	return name[:n]
}

// ErrorBookPath is where the error workbook of a file rejected to movedTo
// was written (the status page links it): errorBookPath's name, before it
// looks for a free one (the rejected file's own name is already unique).
func ErrorBookPath(movedTo string) string {
	dir, base := filepath.Split(movedTo)
	const suffix = ".errors.xlsx"
	if len(base)+len(suffix) > maxNameBytes {
		base = shortenName(base, maxNameBytes-len(suffix)-len("…")) + "…"
	}
	return filepath.Join(dir, base+suffix)
}
