package core

import (
	"io/fs"
	"os"
)

// SharedMode is the mode of the files staff read in the shared folders
// (paths.file_mode): templates, report copies, error workbooks.
func (a *App) SharedMode() fs.FileMode { return a.Cfg.Paths.FileMode.Mode() }

// CreateShared opens path with flag (O_CREATE added) as a file staff read, and
// gives it SharedMode whatever the umask or the mode of a file it truncates.
func (a *App) CreateShared(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|os.O_CREATE, a.SharedMode())
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(a.SharedMode()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
