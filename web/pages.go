package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kam/domain"
	"kam/link"
	"kam/pipeline"
	"kam/pipeline/core"
	"kam/status"
	"kam/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// stylesheetCSS is every page's style, a file of its own so the
// Content-Security-Policy needs no inline style.
//
//go:embed static/kam.css
var stylesheetCSS []byte

var pages = template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))

// What the page lists of each section.
const (
	pageRuns    = 30
	pageFailed  = 20
	pageMail    = 20
	pageReports = 300
)

func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.app.Log.Error().Err(err).Str("page", name).Msg("网页渲染失败")
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// fail answers a request kam could not serve with a page saying so; the cause goes to the log only.
func (s *Server) fail(w http.ResponseWriter, code int, msg string, err error) {
	if err != nil {
		s.app.Log.Error().Err(err).Msg(msg)
	}
	s.render(w, code, "message.html", messagePage{Title: http.StatusText(code), Message: msg})
}

type messagePage struct{ Title, Message string }

func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(stylesheetCSS)
}

// statusPage is the status model as the page shows it, with what only the
// daemon knows: who is logged in, whether its schedule runs, its health.
type statusPage struct {
	status.Model
	User         string
	Running      bool
	Problems     string
	CodesHeading string // above Model.Codes, as kam status prints it
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, a account) {
	// ?unit=zq14 is unit ZQ14 (SPEC §3.3); what is no unit code is looked up as typed, and finds nothing.
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	if code, err := domain.ParseUnitCode(unit); err == nil {
		unit = code
	}
	p, err := s.statusData(r.Context(), a, unit)
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, "读取状态失败：数据库不可用", err)
		return
	}
	s.render(w, http.StatusOK, "status.html", p)
}

// statusData reads the page; unit, when set, shows that unit's own workbooks
// in the archive instead of the city-wide ones. A user bound to a unit sees
// that unit's part only, whatever unit is asked for.
func (s *Server) statusData(ctx context.Context, a account, unit string) (statusPage, error) {
	now := s.now()
	opt := status.Options{Runs: pageRuns, Failed: pageFailed, Mail: pageMail, Reports: pageReports, ReportUnit: unit, Scope: a.Unit, Codes: true}
	if s.sched != nil {
		opt.Tasks = status.PlanTasks(s.sched.Plan, now)
	}
	m, err := status.Gather(ctx, s.app.Store, s.app.Cfg, now, opt)
	if err != nil {
		return statusPage{}, err
	}
	return statusPage{Model: m, User: a.Name, Running: s.sched != nil && s.sched.Running(), Problems: s.unhealthy(ctx),
		CodesHeading: status.CodeProblemsHeading}, nil
}

// download serves an archived report to a logged-in user; a user bound to a
// unit gets that unit's own reports only.
func (s *Server) download(w http.ResponseWriter, r *http.Request, a account) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, http.StatusNotFound, "没有这个编号的归档报表", nil)
		return
	}
	if a.Unit != "" {
		rep, err := s.app.Store.Report(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNoReport):
			s.fail(w, http.StatusNotFound, "没有这个编号的归档报表", nil)
			return
		case err != nil:
			s.fail(w, http.StatusServiceUnavailable, "读取归档失败：数据库不可用", err)
			return
		case rep.Unit != a.Unit:
			s.app.Log.Warn().Int64("report", id).Str("user", a.Name).Str("unit", a.Unit).Msg("单位用户请求其他单位或全市的报表，已拒绝")
			s.fail(w, http.StatusForbidden, "这份报表不属于单位 "+a.Unit+"：你只能下载本单位自己的报表", nil)
			return
		}
	}
	s.serveReport(w, r, id, a.Name)
}

// card serves a customer's archive workbook (客户档案), made now from the
// store; a unit user gets only the customers its unit is responsible for.
func (s *Server) card(w http.ResponseWriter, r *http.Request, a account) {
	who := strings.TrimSpace(r.URL.Query().Get("c"))
	if who == "" {
		s.fail(w, http.StatusBadRequest, "请输入客户编号或客户名称", nil)
		return
	}
	tmp, err := os.CreateTemp("", "kam-card-*")
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	c, err := s.app.Card(r.Context(), who, a.Unit, tmp)
	switch {
	case err != nil && domain.KindOf(err) == domain.EInvalid && c.ID != "" && a.Unit != "":
		s.app.Log.Warn().Str("customer", c.ID).Str("user", a.Name).Str("unit", a.Unit).Msg("单位用户请求其他单位的客户档案，已拒绝")
		s.fail(w, http.StatusForbidden, domain.Message(err), nil)
		return
	case err != nil && domain.KindOf(err) == domain.EInvalid:
		s.fail(w, http.StatusNotFound, domain.Message(err), nil)
		return
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "无法生成客户档案", err)
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	s.app.Log.Info().Str("customer", c.ID).Str("by", a.Name).Msg("客户档案已下载")
	s.sendFile(w, r, downloadName(pipeline.CardFileName(c.ID), "card.xlsx"), s.now(), tmp)
}

// signedDownload serves the report a signed link grants, without a login and
// whoever is logged in: a link is a grant of the one report it names (mailed
// to that report's recipients), neither widened nor narrowed by a session.
func (s *Server) signedDownload(w http.ResponseWriter, r *http.Request) {
	id, exp, err := link.Check(s.key, r.URL.Path, s.now())
	switch {
	case errors.Is(err, link.ErrExpired):
		s.app.Log.Warn().Int64("report", id).Time("expired", exp).Msg("过期的下载链接被拒绝")
		s.render(w, http.StatusForbidden, "message.html", messagePage{Title: "链接已过期",
			Message: fmt.Sprintf("这个下载链接已于 %s 过期。请联系 kam 管理员重新获取报表。", exp.In(s.app.Cfg.Location()).Format("2006-01-02 15:04"))})
		return
	case err != nil:
		s.app.Log.Warn().Str("from", r.RemoteAddr).Msg("无效的下载链接被拒绝")
		s.render(w, http.StatusForbidden, "message.html", messagePage{Title: "链接无效",
			Message: "这个下载链接无效：它不完整，或者被改动过。请使用邮件中的原始链接，或联系 kam 管理员。"})
		return
	}
	s.serveReport(w, r, id, "signed link")
}

// serveReport copies the archived bytes to a temporary file, checked against
// their SHA-256, and only then serves them: a corrupt report is a 500 with
// nothing of it sent.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request, id int64, who string) {
	tmp, err := os.CreateTemp("", "kam-download-*")
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rep, err := s.app.Store.ReportContent(r.Context(), id, tmp)
	switch {
	case errors.Is(err, store.ErrNoReport):
		s.fail(w, http.StatusNotFound, "没有这个编号的归档报表", nil)
		return
	case err != nil:
		s.fail(w, http.StatusInternalServerError, "无法取出归档报表（内容与记录的 SHA-256 不符，或数据库不可用），未发送任何内容", err)
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		s.fail(w, http.StatusInternalServerError, "无法准备下载", err)
		return
	}
	s.app.Log.Info().Int64("report", id).Str("file", rep.FileName).Str("by", who).Msg("报表已下载")
	s.sendFile(w, r, downloadName(rep.FileName, fmt.Sprintf("report-%d", id)), rep.CreatedAt, tmp)
}

// downloadName is the name a browser saves a download under: the archived
// name when it is one plain file name (core.FileIn takes it), else fallback
// with its extension, so an odd stored name never becomes a path on a desk.
func downloadName(name, fallback string) string {
	if _, err := core.FileIn("", name); err == nil {
		return name
	}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".xlsx", ".csv":
		return fallback + ext
	}
	return fallback
}

func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, name string, mod time.Time, f io.ReadSeeker) {
	ct := "application/octet-stream"
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".csv":
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	http.ServeContent(w, r, "", mod, f)
}

// errorWorkbook serves the error workbook written for a rejected file of the
// last scan: the one its record names, and only inside the rejected folder; a
// user bound to a unit, only of a file dropped in that unit's folder.
func (s *Server) errorWorkbook(w http.ResponseWriter, r *http.Request, a account) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	files, err := s.app.Store.LastScanFiles(r.Context())
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, "读取文件记录失败：数据库不可用", err)
		return
	}
	for _, f := range files {
		if f.ID != id || f.Outcome != store.FileRejected || (a.Unit != "" && f.Unit != a.Unit) {
			continue
		}
		if f.ErrorBook == "" {
			s.fail(w, http.StatusNotFound, "这个被退回的文件没有写出错误明细表", nil)
			return
		}
		path, err := core.FileIn(s.app.Cfg.Paths.Rejected, filepath.Base(f.ErrorBook))
		if err != nil || !samePath(path, f.ErrorBook) {
			s.fail(w, http.StatusNotFound, "错误明细表不在退回目录中", nil) // only rejected/ is served
			return
		}
		book, err := os.Open(path)
		if err != nil {
			s.fail(w, http.StatusNotFound, "错误明细表已不在退回目录中", nil)
			return
		}
		defer book.Close()
		fi, err := book.Stat()
		if err != nil {
			s.fail(w, http.StatusInternalServerError, "无法读取错误明细表", err)
			return
		}
		s.sendFile(w, r, filepath.Base(path), fi.ModTime(), book)
		return
	}
	s.fail(w, http.StatusNotFound, "最近一次扫描中没有这个被退回的文件", nil)
}

// samePath says whether a and b name the same place once made absolute.
func samePath(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}
