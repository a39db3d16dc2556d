package core

import (
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// IsTerminal reports whether f is an interactive terminal (progress bars, console logs).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// LogOptions shape the process logger.
type LogOptions struct {
	Format, Level string         // log.format (auto | console | json) and log.level
	Location      *time.Location // timestamps are written in this zone, with its offset; nil is UTC
	// Summarised: the command prints every result for people on stdout (ingest,
	// run). When both stdout and the log are a terminal, the console then leaves
	// out result events (those carrying an outcome), so nothing is said twice.
	Summarised bool
	// StdoutTerminal: stdout is a terminal too (with Summarised, results go unlogged on the console).
	StdoutTerminal bool
}

// NewLoggerWith builds the process logger. Durations carry their unit
// ("1.2s", "1m0s") in both JSON and console output; timestamps are RFC 3339
// in o.Location with its offset (2026-12-02T07:22:00+08:00). On a terminal
// the console shares stderr with the progress bar: a log line clears the
// bar, is written whole, and the bar is drawn again below it.
func NewLoggerWith(w *os.File, o LogOptions) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(o.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
	zerolog.TimeFieldFormat = time.RFC3339
	var out io.Writer = w
	tty := IsTerminal(w)
	if o.Format == "console" || (o.Format == "auto" && tty) {
		var dst io.Writer = w
		if w == os.Stderr && tty {
			dst = stderrTerm
		}
		out = zerolog.ConsoleWriter{Out: dst, TimeFormat: time.RFC3339, TimeLocation: loc, FormatFieldValue: consoleValue}
		if o.Summarised && o.StdoutTerminal && tty {
			out = dropResults{out}
		}
	}
	return zerolog.New(out).Level(lvl).Hook(zoneStamp{loc})
}

// zoneStamp adds the event's time in the configured zone.
type zoneStamp struct{ loc *time.Location }

func (z zoneStamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Time(zerolog.TimestampFieldName, time.Now().In(z.loc))
}

// consoleValue shows a duration rounded to what a person reads ("2.671s",
// "320µs", not "2.671234567s"). ConsoleWriter hands over non-ASCII strings quoted.
func consoleValue(v any) string {
	s, ok := v.(string)
	if !ok {
		return defaultValue(v)
	}
	raw := s
	if u, err := strconv.Unquote(s); err == nil {
		raw = u
	}
	if d, err := time.ParseDuration(raw); err == nil && strings.ContainsAny(raw, "smhµu") {
		switch {
		case d >= time.Millisecond:
			return d.Round(time.Millisecond).String()
		case d >= time.Microsecond:
			return d.Round(time.Microsecond).String()
		}
		return d.String()
	}
	return s
}

func defaultValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return strings.Trim(string(b), `"`)
}

// dropResults leaves out events that carry an outcome: the command's summary on stdout says them.
type dropResults struct{ w io.Writer }

func (d dropResults) Write(p []byte) (int, error) {
	var ev struct {
		Outcome *string `json:"outcome"`
	}
	if json.Unmarshal(p, &ev) == nil && ev.Outcome != nil {
		return len(p), nil
	}
	return d.w.Write(p)
}

// terminal is stderr on a terminal, shared by log lines and one status line
// (a file's progress bar): nothing is ever written into the middle of the bar.
type terminal struct {
	mu     sync.Mutex
	out    io.Writer
	status string // the bar as drawn now, "" when none
}

var stderrTerm = &terminal{out: os.Stderr}

const clearLine = "\r\x1b[K"

// Write puts p (whole lines) above the status line.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != "" {
		_, _ = io.WriteString(t.out, clearLine)
	}
	n, err := t.out.Write(p)
	if t.status != "" {
		_, _ = io.WriteString(t.out, t.status)
	}
	return n, err
}

// ShowStatus draws s as stderr's status line (a progress bar), replacing the one
// before; log lines written meanwhile go above it.
func ShowStatus(s string) { stderrTerm.show(s) }

// ClearStatus removes stderr's status line.
func ClearStatus() { stderrTerm.clear() }

// show draws s as the status line, replacing the one before.
func (t *terminal) show(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status = s
	_, _ = io.WriteString(t.out, clearLine+s)
}

// clear removes the status line, leaving the cursor at the start of an empty line.
func (t *terminal) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != "" {
		_, _ = io.WriteString(t.out, clearLine)
	}
	t.status = ""
}
