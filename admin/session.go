package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Role is what a session may do, as the application sees it. The
// directory still decides every operation.
type Role int

const (
	// RoleUser is an account or alias changing its own settings.
	RoleUser Role = iota
	// RoleDomainAdmin is a roleOccupant of at least one postmaster entry.
	RoleDomainAdmin
	// RoleSiteAdmin is the rootdn.
	RoleSiteAdmin
)

func (r Role) String() string {
	switch r {
	case RoleSiteAdmin:
		return "site admin"
	case RoleDomainAdmin:
		return "domain admin"
	}
	return "user"
}

// flash is a one-time message shown on the next page.
type flash struct {
	Kind string // "ok" or "error"
	Text string
}

// session is the server-side state of a logged-in identity. The password
// is kept only here, for binding on each request, and is overwritten when
// the session ends.
type session struct {
	key      string // sha256 of the cookie value
	csrf     string
	login    string // the login name (mail, or RootLogin)
	dn       string
	password []byte
	role     Role
	isAlias  bool     // the identity is a JammMailAlias
	domains  []string // postmaster of these domains
	created  time.Time
	lastSeen time.Time

	mu    sync.Mutex // guards flash and password (changed by a password change)
	flash *flash
}

// secret returns a copy of the password as a string for a bind.
func (s *session) secret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.password)
}

// setSecret replaces the kept password (after a change of the user's own
// password), wiping the old one.
func (s *session) setSecret(pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wipe(s.password)
	s.password = []byte(pw)
}

func (s *session) setFlash(kind, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flash = &flash{Kind: kind, Text: text}
}

func (s *session) takeFlash() *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flash
	s.flash = nil
	return f
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// newToken returns 32 random bytes, base64url-encoded.
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("admin: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenKey(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return string(h[:])
}

// sessions is the in-memory session table. Keys are hashes of the cookie
// values, so the table never holds a usable cookie.
type sessions struct {
	mu       sync.Mutex
	m        map[string]*session
	idle     time.Duration
	lifetime time.Duration
	max      int
	now      func() time.Time
}

func newSessions(idle, lifetime time.Duration, max int, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, idle: idle, lifetime: lifetime, max: max, now: now}
}

// create stores s under a fresh token and returns the token (the cookie
// value). When the table is full the oldest session is ended.
func (t *sessions) create(s *session) string {
	tok := newToken()
	now := t.now()
	s.key, s.csrf, s.created, s.lastSeen = tokenKey(tok), newToken(), now, now
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
	if len(t.m) >= t.max {
		var oldest *session
		for _, o := range t.m {
			if oldest == nil || o.created.Before(oldest.created) {
				oldest = o
			}
		}
		t.endLocked(oldest)
	}
	t.m[s.key] = s
	return tok
}

// get returns the live session of a cookie value and marks it used.
func (t *sessions) get(tok string) *session {
	if tok == "" {
		return nil
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[tokenKey(tok)]
	if s == nil {
		return nil
	}
	if t.expired(s, now) {
		t.endLocked(s)
		return nil
	}
	s.lastSeen = now
	return s
}

func (t *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > t.idle || now.Sub(s.created) > t.lifetime
}

// end removes a session and wipes its password.
func (t *sessions) end(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked(s)
}

func (t *sessions) endLocked(s *session) {
	if s == nil {
		return
	}
	delete(t.m, s.key)
	s.mu.Lock()
	wipe(s.password)
	s.password = nil
	s.mu.Unlock()
}

// sweep ends the expired sessions.
func (t *sessions) sweep() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(t.now())
}

func (t *sessions) sweepLocked(now time.Time) {
	for _, s := range t.m {
		if t.expired(s, now) {
			t.endLocked(s)
		}
	}
}

// endAll ends every session (at shutdown).
func (t *sessions) endAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.m {
		t.endLocked(s)
	}
}

// count returns the number of stored sessions.
func (t *sessions) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// Login throttling: failures are counted per key (client address, login
// name) in a sliding window; a key over its limit is refused until its
// oldest failure leaves the window.
const (
	throttleWindow   = 15 * time.Minute
	maxFailsPerUser  = 5
	maxFailsPerAddr  = 20
	maxThrottleCount = 100000
)

type throttle struct {
	mu   sync.Mutex
	fail map[string][]time.Time
	now  func() time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{fail: map[string][]time.Time{}, now: now}
}

// blocked reports whether key has reached limit failures in the window,
// and when it is free again.
func (t *throttle) blocked(key string, limit int) (bool, time.Duration) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.prune(key, now)
	if len(f) < limit {
		return false, 0
	}
	return true, f[len(f)-limit].Add(throttleWindow).Sub(now)
}

// failed records a failure of key.
func (t *throttle) failed(key string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fail) >= maxThrottleCount {
		for k := range t.fail {
			t.prune(k, now)
		}
		if len(t.fail) >= maxThrottleCount {
			// Still full: drop arbitrary keys rather than grow without
			// bound (the per-address limit keeps protecting).
			for k := range t.fail {
				delete(t.fail, k)
				if len(t.fail) < maxThrottleCount/2 {
					break
				}
			}
		}
	}
	f := append(t.prune(key, now), now)
	if len(f) > 64 {
		f = f[len(f)-64:]
	}
	t.fail[key] = f
}

// reset forgets key's failures (after a successful login).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fail, key)
}

func (t *throttle) prune(key string, now time.Time) []time.Time {
	f := t.fail[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) > throttleWindow {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(t.fail, key)
		return nil
	}
	t.fail[key] = f
	return f
}
