package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Device cookies, after OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies": a browser that has logged in with the password before
// holds a signed cookie that lets its later logins skip the throttles meant
// for strangers, so a flood of wrong passwords cannot lock the owner out.
//
// OWASP's protocol, and how Quire maps it:
//
//   - Every successful form login sets a new device cookie
//     LOGIN|NONCE|HMAC(key, LOGIN|NONCE) (here also the issue time). The key
//     is derived from the cookie secret under its own label, apart from the
//     login cookie's key. LOGIN is the account; Quire has one (deviceUser),
//     but the field is kept and checked for a multi-user future.
//   - A login that presents a valid device cookie (well formed, signed by
//     this server, for this account, younger than DeviceMaxAge, not retired)
//     that is not in the lockout list is a trusted attempt: it skips the
//     per-address throttle and the global one and has a password check slot
//     of its own (see Auth.devSem). Any other attempt is untrusted and meets
//     the throttles as before; OWASP's "lock out all untrusted clients of the
//     account" is Quire's global throttle, since there is one account.
//   - A trusted attempt that fails counts against its device cookie:
//     DeviceFailures failures within DeviceLockout put the cookie in the
//     lockout list for DeviceLockout (a stolen cookie buys that many guesses
//     per period and no more). OWASP rejects a locked-out cookie's attempts;
//     Quire treats them as untrusted instead, which gives a thief nothing he
//     lacks without the cookie, and spares an owner who mistyped a few times.
//   - A trusted device has at most one password check running at a time, so
//     parallel guesses cannot outrun the failure count.
//   - A successful login retires the nonce of the device cookie it came
//     with (trusted or not) and issues one with a fresh nonce, so a copy of
//     the old cookie stops working.
//
// The lockout list and the retired nonces live in memory, at most
// MaxDevices entries (least recently used forgotten first). Entries appear
// only for cookies this server signed, that is for browsers that once knew
// the password, so strangers cannot fill it. A restart, or eviction, forgets
// them: a retired copy is then accepted again until it expires, and a
// locked-out cookie starts afresh, still limited to DeviceFailures guesses
// per DeviceLockout.
//
// The cookie's value is never logged.

// deviceUser is the account name in device cookies: Quire has one user.
const deviceUser = "owner"

const deviceNonceLen = 16 // bytes; 128 bits

// devices holds the device-cookie key and the per-nonce state (lockouts,
// retired nonces, checks in progress).
type devices struct {
	key     []byte
	name    string        // cookie name
	maxAge  time.Duration // <= 0: device cookies are off
	limit   int           // failures …
	lockout time.Duration // … within this long lock a cookie out for as long

	mu   sync.Mutex
	devs *recencyMap[*deviceState] // by raw nonce
}

type deviceState struct {
	nonce    string
	expires  time.Time // the cookie's own end; the entry is useless after it
	first    time.Time // first failure of the current window
	failures int
	locked   time.Time // locked out until
	retired  bool      // a later login replaced this cookie
	busy     bool      // a check is running
}

// device is a parsed, well-signed device cookie.
type device struct {
	nonce   []byte
	expires time.Time
}

func newDevices(secret []byte, o *Options) *devices {
	key := mac(secret, "quire device cookie v1")
	return &devices{
		key: key,
		// Cookies ignore ports: a name of its own per data dir keeps the
		// cookies of servers on one host apart, and stays across restarts
		// and port changes.
		name:   "quire-device-" + hex.EncodeToString(mac(key, "cookie name")[:4]),
		maxAge: o.DeviceMaxAge, limit: o.DeviceFailures, lockout: o.DeviceLockout,
		devs: newRecencyMap[*deviceState](o.MaxDevices),
	}
}

func (d *devices) on() bool { return d.maxAge > 0 }

func (d *devices) sign(nonce []byte, issued int64, user string) []byte {
	return mac(d.key, "device", string(nonce), strconv.FormatInt(issued, 10), user)
}

// value is the cookie value: base64url(nonce) "." issued (Unix seconds) "."
// base64url(user) "." base64url(HMAC).
func (d *devices) value(nonce []byte, issued int64, user string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(nonce) + "." + strconv.FormatInt(issued, 10) + "." +
		enc.EncodeToString([]byte(user)) + "." + enc.EncodeToString(d.sign(nonce, issued, user))
}

// parse checks a cookie value: format, signature, age and account. It
// does not consult the lockout list.
func (d *devices) parse(v, user string, now time.Time) (device, bool) {
	if !d.on() || len(v) > 512 {
		return device{}, false
	}
	parts := strings.Split(v, ".")
	if len(parts) != 4 {
		return device{}, false
	}
	// Strict decoding and the canonical number: one device cookie has
	// exactly one valid spelling.
	enc := base64.RawURLEncoding.Strict()
	nonce, err1 := enc.DecodeString(parts[0])
	issued, err2 := strconv.ParseInt(parts[1], 10, 64)
	name, err3 := enc.DecodeString(parts[2])
	sig, err4 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || len(nonce) != deviceNonceLen ||
		strconv.FormatInt(issued, 10) != parts[1] || !hmac.Equal(sig, d.sign(nonce, issued, string(name))) {
		return device{}, false
	}
	at := time.Unix(issued, 0)
	if age := now.Sub(at); age >= d.maxAge || age <= -d.maxAge || string(name) != user {
		return device{}, false
	}
	return device{nonce: nonce, expires: at.Add(d.maxAge)}, true
}

// fromRequest returns the request's valid device cookie for user.
func (d *devices) fromRequest(r *http.Request, user string, now time.Time) (device, bool) {
	if !d.on() {
		return device{}, false
	}
	c, err := r.Cookie(d.name)
	if err != nil {
		return device{}, false
	}
	return d.parse(c.Value, user, now)
}

// begin asks to check a password for dev at now. trusted: go ahead,
// bypassing the throttles, and call end or abort after. busy: dev already
// has a check running. Neither: dev is retired or locked out; treat the
// attempt as untrusted.
func (d *devices) begin(dev device, now time.Time) (trusted, busy bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state(dev, now, true)
	d.devs.touch(st.nonce)
	switch {
	case st.retired || now.Before(st.locked):
		return false, false
	case st.busy:
		return false, true
	}
	st.busy = true
	return true, false
}

// end records the outcome of a trusted check begun for dev.
func (d *devices) end(dev device, now time.Time, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state(dev, now, true)
	st.busy = false
	if ok {
		return // setDeviceCookie retires it as it sets the next one
	}
	if st.failures == 0 || now.Sub(st.first) >= d.lockout {
		st.first, st.failures = now, 0
	}
	st.failures++
	if st.failures >= d.limit {
		st.locked = now.Add(d.lockout)
		st.first, st.failures = time.Time{}, 0
	}
}

// abort ends a trusted check without an outcome (the client left).
func (d *devices) abort(dev device, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st := d.state(dev, now, false); st != nil {
		st.busy = false
	}
}

// retire marks dev's nonce used up: a copy of the cookie no longer counts.
func (d *devices) retire(dev device, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state(dev, now, true)
	st.retired = true
}

// locked reports whether dev is in the lockout list (for tests and logs).
func (d *devices) locked(dev device, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state(dev, now, false)
	return st != nil && now.Before(st.locked)
}

// state returns dev's state, forgetting it when it can no longer matter,
// and creating it when create is set (evicting the least recently used
// entry when full).
func (d *devices) state(dev device, now time.Time, create bool) *deviceState {
	key := string(dev.nonce)
	if st, ok := d.devs.lookup(key, func(st *deviceState) bool { return !d.stale(st, now) }); ok {
		return st
	}
	if !create {
		return nil
	}
	st := &deviceState{nonce: key, expires: dev.expires}
	d.devs.add(key, st)
	return st
}

// stale reports whether st holds nothing worth keeping: its cookie has
// expired, or it is neither busy, retired, locked out nor counting
// failures.
func (d *devices) stale(st *deviceState, now time.Time) bool {
	if st.busy {
		return false
	}
	if !now.Before(st.expires) {
		return true
	}
	return !st.retired && !now.Before(st.locked) && (st.failures == 0 || now.Sub(st.first) >= d.lockout)
}

// size is the number of tracked device cookies.
func (d *devices) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.devs.len()
}

// loginGate is the throttling decision for one login attempt: a trusted
// device (dev set) or an untrusted client throttled by address (key).
type loginGate struct {
	a       *Auth
	key     string
	dev     device
	trusted bool
}

// beginLogin decides how the login attempt r from client is throttled.
// wait > 0: refuse it with 429 and msg. Otherwise the check may run; call
// end or abort after it.
func (a *Auth) beginLogin(r *http.Request, client string) (g loginGate, wait time.Duration, msg string) {
	now := a.o.Now()
	g = loginGate{a: a, key: throttleKey(client)}
	if dev, ok := a.dev.fromRequest(r, deviceUser, now); ok {
		g.dev = dev
		trusted, busy := a.dev.begin(dev, now)
		if busy {
			return g, time.Second, "A login from this browser is being checked; try again in "
		}
		if trusted {
			g.trusted = true
			return g, 0, ""
		}
		a.log.Debug("login: device cookie retired or locked out; throttled as unknown", "client", client)
	}
	wait, busy := a.thr.begin(g.key, now)
	switch {
	case busy:
		msg = "A login from your address is being checked; try again in "
	case wait > 0:
		a.log.Debug("login throttled", "client", client)
		msg = "Too many failed attempts; try again in "
	}
	return g, wait, msg
}

// end records the outcome of the check.
func (g loginGate) end(ok bool) {
	now := g.a.o.Now()
	if g.trusted {
		g.a.dev.end(g.dev, now, ok)
		if !ok && g.a.dev.locked(g.dev, now) {
			g.a.log.Warn("login: a device cookie is locked out after repeated failures", "lockout", g.a.dev.lockout)
		}
		return
	}
	g.a.thr.end(g.key, now, ok)
}

// abort ends the check without an outcome.
func (g loginGate) abort() {
	if g.trusted {
		g.a.dev.abort(g.dev, g.a.o.Now())
		return
	}
	g.a.thr.abort(g.key, g.a.o.Now())
}

// setDeviceCookie follows a successful login: it retires the nonce of the
// device cookie the login came with, if any, and sets a new one. It goes
// after the login cookie, which must be the first Set-Cookie.
func (a *Auth) setDeviceCookie(w http.ResponseWriter, r *http.Request, g loginGate) {
	if !a.dev.on() {
		return
	}
	now := a.o.Now()
	nonce := make([]byte, deviceNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		a.log.Error("device cookie", "err", err)
		return
	}
	if g.dev.nonce != nil {
		a.dev.retire(g.dev, now)
	}
	http.SetCookie(w, &http.Cookie{
		Name:  a.dev.name,
		Value: a.dev.value(nonce, now.Unix(), deviceUser),
		// Only the login form needs it, so it travels with nothing else.
		Path:     a.o.BaseURL + "login",
		MaxAge:   int(a.dev.maxAge / time.Second),
		Expires:  now.Add(a.dev.maxAge),
		HttpOnly: true,
		Secure:   a.o.IsSecure(r),
		SameSite: http.SameSiteStrictMode,
	})
}
