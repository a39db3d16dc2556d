// Package web is the daemon's web side (SPEC §6.1): /healthz for a service
// manager, /metrics for Prometheus, and behind a login a read-only status
// page with the archive's downloads; signed links in mail need no login.
// It reads the store and never writes it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
	secure  bool   // cookies only over https (base_url is https)
	origin  string // base_url's scheme://host, an Origin a POST may come from
	key     []byte
	users   map[string][]byte // the config's http.users: name → bcrypt hash

	mu       sync.Mutex
	sessions map[string]session
	throttle *throttle

	mux *http.ServeMux
}

// session is one login; the account is read again on every request, so a
// user removed, given a new password or bound to another unit is logged out.
type session struct {
	user    string
	hash    string // the password hash it logged in with
	expires time.Time
}

// New builds the web side for app and its scheduler. Listening beyond
// loopback with no user (in the config or the database) is refused: nobody
// could log in. Listening beyond loopback at all logs a warning: kam speaks
// plain HTTP, so passwords and sessions cross the network readable.
func New(app *pipeline.App, sched *daemon.Scheduler, version string) (*Server, error) {
	h := app.Cfg.HTTP
	s := &Server{
		app: app, sched: sched, version: version,
		secure:   strings.HasPrefix(h.BaseURL, "https://"),
		key:      []byte(h.LinkSecret()),
		users:    map[string][]byte{},
		sessions: map[string]session{},
		throttle: newThrottle(),
		mux:      http.NewServeMux(),
	}
	if u, err := url.Parse(h.BaseURL); err == nil && u.Host != "" {
		s.origin = u.Scheme + "://" + u.Host
	}
	for _, u := range h.Users {
		s.users[u.Name] = []byte(u.PasswordHash)
		if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil && cost != PasswordCost {
			app.Log.Warn().Str("user", u.Name).Int("cost", cost).Msgf("http.users 中用户的 bcrypt 强度不是 %d：它的登录与未知用户名用时不同，可被计时区分；请用 kam user add 改存到数据库", PasswordCost)
		}
	}
	if !loopback(h.Listen) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		any, err := s.hasUsers(ctx)
		if err != nil {
			return nil, domain.Failed(err, "读取网页用户")
		}
		if !any {
			return nil, domain.Usagef("配置项 http.listen 为 %s，对本机以外开放，但没有任何用户（http.users 或 kam user add）：拒绝启动。请添加用户，或只在 127.0.0.1 上监听", h.Listen)
		}
		app.Log.Warn().Str("listen", h.Listen).Msg("网页以明文 HTTP 对本机以外开放：密码与会话在网络上可被窃听。请只监听 127.0.0.1，由本机的 HTTPS 反向代理对外提供，并把 http.base_url 设为 https:// 地址")
	}
	if h.BaseURL != "" && len(s.key) == 0 {
		app.Log.Warn().Msg("配置了 http.base_url 但没有签名密钥（http.link_key 或 KAM_HTTP_LINK_KEY）：超限报表的邮件不带下载链接")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{s: s}, inboxCollector{s})
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	s.mux.HandleFunc("GET /kam.css", s.stylesheet)
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /{$}", s.auth(s.status))
	s.mux.HandleFunc("GET /reports/{id}", s.auth(s.download))
	s.mux.HandleFunc("GET /files/{id}/errors", s.auth(s.errorWorkbook))
	s.mux.HandleFunc("GET /card", s.auth(s.card))
	s.mux.HandleFunc("GET /d/{rest...}", s.signedDownload)
	return s, nil
}

// contentSecurityPolicy lets a page load only kam's own stylesheet: no
// script, no frame around it, forms posted back to kam alone.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP answers every request; pages are never cached (they carry a
// session) and a POST from another site is refused.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	// Nothing of kam's addresses (a signed link's MAC) leaves for another site;
	// same-origin, not no-referrer, under which a browser posts the login form with Origin: null.
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	if r.Method == http.MethodPost && !s.sameOrigin(r) {
		s.app.Log.Warn().Str("from", r.RemoteAddr).Str("origin", r.Header.Get("Origin")).Str("path", r.URL.Path).Msg("来自其他网站的提交被拒绝")
		s.fail(w, http.StatusForbidden, "拒绝来自其他网站的提交：请在 kam 自己的页面上登录", nil)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a POST comes from kam's own pages: its Origin
// (or, without one, its Referer) names this host or http.base_url. A request
// with neither (a script, not a browser) passes: a browser always sends Origin
// on a cross-site POST.
func (s *Server) sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	from := r.Header.Get("Origin")
	if from == "" {
		ref := r.Header.Get("Referer")
		if ref == "" {
			return true
		}
		from = ref
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // "null" (a sandboxed or file: page) included
	}
	if s.origin != "" && u.Scheme+"://"+u.Host == s.origin {
		return true
	}
	return strings.EqualFold(u.Host, r.Host)
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

// auth lets a request with a live session through, with its account, and
// sends the rest to the login form.
func (s *Server) auth(next func(http.ResponseWriter, *http.Request, account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok, err := s.sessionUser(r)
		if err != nil {
			s.fail(w, http.StatusServiceUnavailable, "无法核对登录：数据库不可用", err)
			return
		}
		if ok {
			next(w, r, a)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// sessionUser is the account of the request's session, read again from the
// config or the database: a session whose user is gone or has another
// password since it logged in ends.
func (s *Server) sessionUser(r *http.Request) (account, bool, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return account{}, false, nil
	}
	s.mu.Lock()
	se, ok := s.sessions[c.Value]
	now := s.now()
	if ok && !now.Before(se.expires) {
		delete(s.sessions, c.Value)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return account{}, false, nil
	}
	a, found, err := s.lookup(r.Context(), se.user)
	if err != nil {
		return account{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !found || a.Hash != se.hash {
		delete(s.sessions, c.Value)
		return account{}, false, nil
	}
	se.expires = now.Add(sessionTTL)
	s.sessions[c.Value] = se
	return a, true, nil
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	any, err := s.hasUsers(r.Context())
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, "无法登录：数据库不可用", err)
		return
	}
	s.render(w, http.StatusOK, "login.html", loginPage{NoUsers: !any})
}

type loginPage struct {
	Failed, NoUsers bool
	Throttled       string // how long the name or address stays locked out
	Name            string
}

// login checks a name and password. Every attempt with a name kam does not
// know is compared against a dummy hash of the stored hashes' cost, so it
// takes as long as a wrong password; five failures for a name or from an
// address lock it out (429) before any comparison.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	addr := clientAddr(r)
	begun := s.now()
	if wait, ok := s.throttle.begin(begun, nameKey(name), addrKey(addr)); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		s.app.Log.Warn().Str("from", addr).Int("retry_after_s", secs).Msg("网页登录失败次数过多，已暂停该用户名或地址的登录")
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.render(w, http.StatusTooManyRequests, "login.html", loginPage{Name: name,
			Throttled: fmt.Sprintf("%d 分钟", (secs+59)/60)})
		return
	}
	a, known, err := s.lookup(r.Context(), name)
	if err != nil {
		s.throttle.abandon(begun, nameKey(name), addrKey(addr)) // not the user's failure
		s.fail(w, http.StatusServiceUnavailable, "无法登录：数据库不可用", err)
		return
	}
	hash := a.Hash
	if !known {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !known {
		s.throttle.failed(s.now(), nameKey(name), addrKey(addr))
		ev := s.app.Log.Warn().Str("from", addr)
		if known { // an unknown "name" may be a password typed in the wrong field: not logged
			ev = ev.Str("user", name)
		}
		ev.Msg("网页登录失败")
		s.render(w, http.StatusUnauthorized, "login.html", loginPage{Failed: true, Name: name})
		return
	}
	s.throttle.succeeded(begun, name, addr)
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
	s.sessions[token] = session{user: name, hash: a.Hash, expires: now.Add(sessionTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(sessionTTL / time.Second)})
	ev := s.app.Log.Info().Str("user", name).Str("from", addr)
	if a.Unit != "" {
		ev = ev.Str("unit", a.Unit)
	}
	ev.Msg("网页登录")
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
// (a period: the time to the firing after it) is not done: a firing is done
// when its period or a later one of the same job succeeded, as catch-up sees
// it (a new install makes up only each job's newest period; an older period
// then stays unrun, and no older report follows a newer one).
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
	if len(last) == 0 {
		return "", nil
	}
	succeeded, err := s.app.Store.LastSuccess(ctx) // per job, the latest period any run succeeded for
	if err != nil {
		return "", err
	}
	for _, e := range s.sched.Plan.Entries {
		f, ok := last[e.Name]
		if !ok {
			continue
		}
		// A job's periods sort as text in time order (2026Q2, 2026-06, 2026-06-15).
		if p, ok := succeeded[f.Job]; !ok || p < f.Period {
			return "作业 " + f.Job + "（" + jobs.Title(f.Job) + "）" + jobs.PeriodLabel(f.Job, f.Period) +
				" 应于 " + f.At.Format("2006-01-02 15:04") + " 运行，超过一个周期仍未成功", nil
		}
	}
	return "", nil
}
