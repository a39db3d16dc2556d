// Package coretest holds what the tests of every place kam writes a file
// share: the names no folder of kam's may be given (core.FileIn refuses them).
package coretest

import "strings"

// BadNames would each name a folder itself, its parent, another folder, or a
// file no file system takes: every place a code or a name becomes part of a
// path is tried with all of them.
var BadNames = []string{
	"", ".", "..", "...", " . ", "a/b", `a\b`, "../x", `..\x`, "x/..", "/etc/passwd", `C:\Windows`, `\\server\share`,
	"/", `\`, "a\x00b", "a\nb", "\xff\xfe", strings.Repeat("长", 100), strings.Repeat("x", 300),
}

// PathNames are BadNames that could come from a unit code, a config key or a
// file name read back from the store: printable text (no NUL, control
// characters or broken UTF-8, which no store column holds as sent).
func PathNames() []string {
	var out []string
	for _, n := range BadNames {
		if n != "" && !strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0xfffd }) {
			out = append(out, n)
		}
	}
	return out
}
