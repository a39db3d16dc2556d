// Package web is the daemon's web side (SPEC §6.1): /healthz for a service
// manager, /metrics for Prometheus, and behind a login a read-only status
// page with the archive's downloads; signed links in mail need no login.
// It reads the store and never writes it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/bcrypt"

	"kam/domain"
	"kam/pipeline"
	"kam/pipeline/daemon"
	"kam/pipeline/jobs"
)

// sessionTTL is how long a login lasts without being used again.
const sessionTTL = 12 * time.Hour

// Server serves one kam's web side.
type Server struct {
	app     *pipeline.App
	sched   *daemon.Scheduler
	version string
	secure  bool // cookies only over https (base_url is https)
	key     []byte
	users   map[string][]byte // name → bcrypt hash

	mu       sync.Mutex
	sessions map[string]session

	mux *http.ServeMux
}

type session struct {
	user    string
	expires time.Time
}

// New builds the web side for app and its scheduler. Listening beyond
// loopback with no user configured is refused: the page would be open to all.
func New(app *pipeline.App, sched *daemon.Scheduler, version string) (*Server, error) {
	h := app.Cfg.HTTP
	if len(h.Users) == 0 && !loopback(h.Listen) {
		return nil, domain.Usagef("配置项 http.listen 为 %s，对本机以外开放，但没有配置任何用户（http.users）：拒绝启动。请配置用户，或只在 127.0.0.1 上监听", h.Listen)
	}
	s := &Server{
		app: app, sched: sched, version: version,
		secure:   strings.HasPrefix(h.BaseURL, "https://"),
		key:      []byte(h.LinkSecret()),
		users:    map[string][]byte{},
		sessions: map[string]session{},
		mux:      http.NewServeMux(),
	}
	for _, u := range h.Users {
		s.users[u.Name] = []byte(u.PasswordHash)
	}
	if h.BaseURL != "" && len(s.key) == 0 {
		app.Log.Warn().Msg("配置了 http.base_url 但没有签名密钥（http.link_key 或 KAM_HTTP_LINK_KEY）：超限报表的邮件不带下载链接")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{s: s}, inboxCollector{s})
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /{$}", s.auth(s.status))
	s.mux.HandleFunc("GET /reports/{id}", s.auth(s.download))
	s.mux.HandleFunc("GET /files/{id}/errors", s.auth(s.errorWorkbook))
	s.mux.HandleFunc("GET /d/{rest...}", s.signedDownload)
	return s, nil
}

// ServeHTTP answers every request; pages are never cached (they carry a session).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// now is the App's clock, so tests set the date.
func (s *Server) now() time.Time {
	if s.app.Now != nil {
		return s.app.Now()
	}
	return time.Now()
}

// loopback reports whether listen binds only this machine.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

const cookieName = "kam_session"

// auth lets a request with a live session through and sends the rest to the login form.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if user, ok := s.sessionUser(r); ok {
			next(w, r, user)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

func (s *Server) sessionUser(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.sessions[c.Value]
	now := s.now()
	if !ok || !now.Before(se.expires) {
		delete(s.sessions, c.Value)
		return "", false
	}
	se.expires = now.Add(sessionTTL)
	s.sessions[c.Value] = se
	return se.user, true
}

// dummyHash makes an unknown user cost the same bcrypt time as a known one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("kam: no such user"), bcrypt.DefaultCost)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login.html", loginPage{NoUsers: len(s.users) == 0})
}

type loginPage struct {
	Failed, NoUsers bool
	Name            string
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	hash, known := s.users[name]
	if !known {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		ev := s.app.Log.Warn().Str("from", r.RemoteAddr)
		if known { // an unknown "name" may be a password typed in the wrong field: not logged
			ev = ev.Str("user", name)
		}
		ev.Msg("网页登录失败")
		s.render(w, http.StatusUnauthorized, "login.html", loginPage{Failed: true, Name: name, NoUsers: len(s.users) == 0})
		return
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := hex.EncodeToString(b)
	s.mu.Lock()
	now := s.now()
	for t, se := range s.sessions { // forget the expired ones
		if !now.Before(se.expires) {
			delete(s.sessions, t)
		}
	}
	s.sessions[token] = session{user: name, expires: now.Add(sessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL / time.Second)})
	s.app.Log.Info().Str("user", name).Str("from", r.RemoteAddr).Msg("网页登录")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// healthz answers 200 "ok", or 503 with the first reason kam is not healthy.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if reason := s.unhealthy(ctx); reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(reason + "\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

func (s *Server) unhealthy(ctx context.Context) string {
	if _, err := s.app.Store.DB().ExecContext(ctx, "SELECT 1"); err != nil {
		return "数据库不可用"
	}
	if s.sched == nil || !s.sched.Running() {
		return "计划任务已停止"
	}
	late, err := s.overdue(ctx)
	if err != nil {
		return "数据库不可用"
	}
	return late
}

// overdue names the first job whose latest firing more than one period ago
// (a period: the time to the firing after it) has not succeeded since.
func (s *Server) overdue(ctx context.Context) (string, error) {
	now := s.now()
	due, err := s.sched.Plan.Due(now.AddDate(-1, -1, 0), now)
	if err != nil {
		return "", err
	}
	entries := map[string]daemon.Entry{}
	for _, e := range s.sched.Plan.Entries {
		entries[e.Name] = e
	}
	last := map[string]daemon.Firing{}
	for _, f := range due {
		if period := s.sched.Plan.Next(entries[f.Job], f.At).Sub(f.At); now.Sub(f.At) > period {
			last[f.Job] = f // due more than one period ago
		}
	}
	for _, e := range s.sched.Plan.Entries {
		f, ok := last[e.Name]
		if !ok {
			continue
		}
		done, err := s.app.Store.Succeeded(ctx, f.Job, f.Period)
		if err != nil {
			return "", err
		}
		if !done {
			return "作业 " + f.Job + "（" + jobs.Title(f.Job) + "）" + jobs.PeriodLabel(f.Job, f.Period) +
				" 应于 " + f.At.Format("2006-01-02 15:04") + " 运行，超过一个周期仍未成功", nil
		}
	}
	return "", nil
}
