package main

import (
	"context"
	"io"
	"net/http"
	"strings"

	"golang.org/x/text/width"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/daemon"
	"kam/status"
	"kam/web"
)

// cmdServe runs the daemon until SIGTERM/SIGINT (main's ctx), then exits 0.
func cmdServe(ctx context.Context, app *pipeline.App, args []string) error {
	if len(args) > 0 {
		return domain.Usagef("serve 不带参数")
	}
	writeShared(ctx, app)
	logCodeProblems(ctx, app)
	return app.ServeWeb(ctx, daemon.Web{Handler: func(s *daemon.Scheduler) (http.Handler, error) {
		return web.New(app, s, domain.Version())
	}})
}

// logCodeProblems tells the administrator, once as the daemon starts, of each
// stored id or code kam no longer reads as stored (SPEC §3.3); none says nothing.
func logCodeProblems(ctx context.Context, app *pipeline.App) {
	codes, err := status.CodeProblems(ctx, app.Store)
	if err != nil {
		app.Log.Warn().Err(err).Msg("无法检查已存的编号")
		return
	}
	for _, c := range codes {
		app.Log.Warn().Str("check", "stored_codes").Msg("已存的编号需要核对：" + c)
	}
}

// printTable writes rows under a header with columns aligned as a terminal
// shows them: a Chinese character takes two columns (text/tabwriter counts one).
func printTable(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, cell := range r {
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		io.WriteString(w, strings.TrimRight(b.String(), " ")+"\n")
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
}

// displayWidth counts terminal columns: wide and full-width runes take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// clip shortens s to about n columns, marking the cut.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if displayWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := displayWidth(string(r))
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}
