package pipeline

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// IsTerminal reports whether f is an interactive terminal (progress bars, console logs).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// NewLogger builds the process logger: JSON lines by default, a readable
// console on a terminal when format is "auto".
func NewLogger(w *os.File, format, level string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	var out io.Writer = w
	if format == "console" || (format == "auto" && IsTerminal(w)) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.DateTime}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}
