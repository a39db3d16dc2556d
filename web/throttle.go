package web

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Login throttling (SPEC §6.1): five failed logins for one name or from one
// address within the window lock that name or address out for the lockout.
const (
	throttleFailures = 5
	throttleWindow   = 15 * time.Minute
	throttleLockout  = 15 * time.Minute
)

// throttle counts failed logins per name and per address. An attempt counts
// as a failure from the moment it starts (and is taken back if the password
// was right), so parallel guesses cannot slip past the limit while bcrypt runs.
type throttle struct {
	mu       sync.Mutex
	failures int // per key within window before a lockout
	window   time.Duration
	lockout  time.Duration
	keys     map[string]*attempts
}

type attempts struct {
	at     []time.Time // failed (or running) attempts within the window, oldest first
	locked time.Time   // refused until then
}

func newThrottle() *throttle {
	return &throttle{failures: throttleFailures, window: throttleWindow, lockout: throttleLockout, keys: map[string]*attempts{}}
}

func nameKey(name string) string { return "name\x00" + name }
func addrKey(addr string) string { return "addr\x00" + addr }

// begin admits an attempt for keys at now, or says how long they stay locked.
func (t *throttle) begin(now time.Time, keys ...string) (wait time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forget(now)
	for _, k := range keys {
		a := t.keys[k]
		if a == nil {
			continue
		}
		if len(a.at) >= t.failures && !now.Before(a.locked) {
			a.locked, a.at = now.Add(t.lockout), nil // the limit was reached by attempts still running
		}
		if now.Before(a.locked) {
			wait = max(wait, a.locked.Sub(now))
		}
	}
	if wait > 0 {
		return wait, false
	}
	for _, k := range keys {
		a := t.keys[k]
		if a == nil {
			a = &attempts{}
			t.keys[k] = a
		}
		a.at = append(a.at, now)
	}
	return 0, true
}

// failed closes a failed attempt begun at: a key that reached the limit is locked from now.
func (t *throttle) failed(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if a := t.keys[k]; a != nil && len(a.at) >= t.failures {
			a.locked, a.at = now.Add(t.lockout), nil
		}
	}
}

// succeeded takes back an attempt begun at: the address keeps its other
// failures, the name's are forgotten (its owner has just proved who they are).
func (t *throttle) succeeded(begun time.Time, name, addr string) {
	t.abandon(begun, addrKey(addr))
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.keys[nameKey(name)]; a != nil && !a.locked.After(begun) {
		delete(t.keys, nameKey(name))
	}
}

// abandon takes back an attempt begun at that was no one's failure (the database did not answer).
func (t *throttle) abandon(begun time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		a := t.keys[k]
		if a == nil {
			continue
		}
		for i, at := range a.at {
			if at.Equal(begun) {
				a.at = append(a.at[:i], a.at[i+1:]...)
				break
			}
		}
	}
}

// forget drops attempts older than the window and keys no longer locked.
func (t *throttle) forget(now time.Time) {
	for k, a := range t.keys {
		i := 0
		for i < len(a.at) && now.Sub(a.at[i]) >= t.window {
			i++
		}
		a.at = a.at[i:]
		if len(a.at) == 0 && !now.Before(a.locked) {
			delete(t.keys, k)
		}
	}
}

// clientAddr is the address a login comes from: the peer's IP; behind a
// reverse proxy on this machine (a loopback peer that sends X-Forwarded-For),
// the address that proxy saw (the last in the list: what it appended itself).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return host
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return host
	}
	parts := strings.Split(xff[len(xff)-1], ",")
	if fwd := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); fwd != nil {
		return fwd.String()
	}
	return host
}
