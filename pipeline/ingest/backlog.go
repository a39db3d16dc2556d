package ingest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kam/pipeline/core"
)

// Backlog is what lies in the inbox waiting to be taken.
type Backlog struct {
	Files  int
	Oldest time.Time // the oldest file's modification time; zero when there is none
}

// InboxBacklog counts the files in the inbox and in its folders one level
// down, as a scan meets them, without reading them or the store: Excel's lock
// files, partial copies and kam's own folders aside, every file counts,
// including those a scan will not read (they wait for a person just the same).
// A scan empties the inbox of everything it can take, so a file that stays
// is kam not running, a file it cannot read, or a copy that never finished.
func InboxBacklog(a *core.App) (Backlog, error) {
	var b Backlog
	own := map[string]bool{}
	for _, p := range []string{a.Cfg.Paths.Processed, a.Cfg.Paths.Rejected, a.Cfg.Paths.Reports} {
		if abs, err := filepath.Abs(p); err == nil {
			own[abs] = true
		}
	}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if depth == 0 && !errors.Is(err, fs.ErrNotExist) {
				return err // an inbox not made yet (the first scan makes it) holds nothing
			}
			if depth == 0 {
				return nil
			}
			return nil // an unreadable folder is one the scan reports itself
		}
		for _, e := range entries {
			name, path := e.Name(), filepath.Join(dir, e.Name())
			if abs, err := filepath.Abs(path); err == nil && own[abs] {
				continue
			}
			switch {
			case strings.HasPrefix(name, "~$") || temporaryName(name):
			case e.IsDir():
				if depth == 0 {
					if err := walk(path, 1); err != nil {
						return err
					}
				}
			default:
				info, err := e.Info()
				if err != nil {
					continue // gone meanwhile
				}
				b.Files++
				if b.Oldest.IsZero() || info.ModTime().Before(b.Oldest) {
					b.Oldest = info.ModTime()
				}
			}
		}
		return nil
	}
	return b, walk(a.Cfg.Paths.Inbox, 0)
}
