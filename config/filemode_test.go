package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"kam/domain"
)

// paths.file_mode reads as octal however it is written, and a mode that would
// lock kam out of its own files, or make them executable, names the key.
func TestFileMode(t *testing.T) {
	t.Setenv("KAM_DB_DSN", "")
	if got := Default().Paths.FileMode.Mode(); got != 0o640 {
		t.Errorf("default paths.file_mode = %o, want 0640", got)
	}
	for body, want := range map[string]fs.FileMode{
		`file_mode: "0640"`: 0o640, "file_mode: 0640": 0o640, "file_mode: 0o660": 0o660, "file_mode: 600": 0o600, "file_mode: 0644": 0o644,
	} {
		cfg, err := Load(writeConfig(t, "paths:\n  "+body+"\n"), testJobs...)
		if err != nil || cfg.Paths.FileMode.Mode() != want {
			t.Errorf("%s: mode %o, err %v; want %o", body, cfg.Paths.FileMode.Mode(), err, want)
		}
	}
	if got := (Paths{}).FileMode.Mode(); got != DefaultFileMode {
		t.Errorf("a Paths built in code has file mode %o, want the default", got)
	}
	for _, body := range []string{"file_mode: rw-r-----", "file_mode: 0648", "file_mode: 0750", "file_mode: 0440", "file_mode: 02640", `file_mode: ""`, "file_mode: 0"} {
		_, err := Load(writeConfig(t, "paths:\n  "+body+"\n"), testJobs...)
		var ue *domain.Error
		if !errors.As(err, &ue) || ue.Kind != domain.EInvalid || !strings.Contains(ue.Msg, "paths.file_mode") {
			t.Errorf("%s: err = %v, want a usage error naming paths.file_mode", body, err)
		}
	}
}
