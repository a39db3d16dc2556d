package config

import (
	"io/fs"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"kam/domain"
)

// DefaultFileMode is paths.file_mode's default: the owner reads and writes, the folder's group reads.
const DefaultFileMode fs.FileMode = 0o640

// FileMode is a file's permission bits, written in octal ("0640"). Its zero
// value means DefaultFileMode, so a Paths built in code has the default. A
// bad value is kept and reported by Validate, which knows the key's name.
type FileMode struct {
	mode fs.FileMode
	set  bool
	bad  *string
}

// NewFileMode is a FileMode of m.
func NewFileMode(m fs.FileMode) FileMode { return FileMode{mode: m, set: true} }

// Mode is the permission bits to give a file.
func (m FileMode) Mode() fs.FileMode {
	if !m.set {
		return DefaultFileMode
	}
	return m.mode
}

func (m *FileMode) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0O")
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || s == "" {
		*m = FileMode{bad: &n.Value}
		return nil
	}
	*m = NewFileMode(fs.FileMode(v))
	return nil
}

func (m FileMode) MarshalYAML() (any, error) { return m.String(), nil }

// String is the mode as the configuration writes it: 0640.
func (m FileMode) String() string { return "0" + strconv.FormatUint(uint64(m.Mode()), 8) }

// check accepts read and write bits only, with the owner's both: kam itself
// replaces the files it gives this mode.
func (m FileMode) check(key string) error {
	switch {
	case m.bad != nil:
		return domain.Usagef("配置项 %s 有误: %q 不是八进制的文件权限（例如 0640）", key, *m.bad)
	case m.Mode()&^0o666 != 0:
		return domain.Usagef("配置项 %s 有误: %s 含有执行位或特殊位；只可以是读写权限，例如 0640", key, m)
	case m.Mode()&0o600 != 0o600:
		return domain.Usagef("配置项 %s 有误: %s 不让 kam 自己读写；属主须有读写权限（6），例如 0640", key, m)
	}
	return nil
}
