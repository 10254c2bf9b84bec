// Package auth decides who a request is: token, login cookie or nobody. It
// holds the one authentication middleware every route and WebSocket passes
// (with the list of public routes), the login and logout pages, the
// server-side sessions behind the login cookie, XSRF checks, password
// hashes in jupyter_server's formats and the throttling of password guesses.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"quire/internal/audit"
	"quire/internal/baseurl"
)

// Method says how a request was authenticated.
type Method string

// The methods.
const (
	MethodToken  Method = "token"  // Authorization header or ?token=
	MethodCookie Method = "cookie" // login cookie of a server-side session
	MethodNone   Method = "none"   // auth disabled: everybody is anonymous
	MethodProxy  Method = "proxy"  // a trusted proxy's user header (--trusted-user-header)
)

// Identity is the user a request acts for, in the shape of jupyter_server's
// User model (/api/me adds avatar_url and color, both null).
type Identity struct {
	Username    string `json:"username"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Initials    string `json:"initials"`
	// Method is how this request was authenticated; not persisted.
	Method Method `json:"-"`
}

type ctxKey struct{}

// FromContext returns the identity the middleware put into ctx.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Hub is JupyterHub's sign-in, as the middleware uses it in hub mode.
type Hub interface {
	// Identify returns the Hub user of r's credentials (a token, or the
	// session cookie of the Hub's OAuth flow). found is false without
	// credentials or with ones the Hub does not know; an error carries an
	// errkind (403: no access to this server, 503: the Hub is down).
	Identify(r *http.Request) (id Identity, found bool, err error)
	// Login answers a page GET without credentials: it starts the Hub's
	// OAuth flow.
	Login(w http.ResponseWriter, r *http.Request)
}

// Options configure New. Zero values take the defaults named beside them.
type Options struct {
	// BaseURL is normalised: it starts and ends with "/".
	BaseURL string
	// Token authenticates API requests and logs browsers in; "" = off.
	Token string
	// PasswordHash is a Jupyter hash (see CheckPassword); "" = no password.
	// With neither Token nor PasswordHash, auth is disabled.
	PasswordHash string
	// DataDir holds the cookie secret and the session store; created 0700
	// when missing. Required unless auth is disabled.
	DataDir string

	// SessionIdle ends a session unused this long (default 24h);
	// SessionMax ends any session this long after login (default 30 days).
	SessionIdle, SessionMax time.Duration
	// MaxSessions bounds the stored sessions; the least recently used goes
	// first (default 10000).
	MaxSessions int

	// MaxConcurrentChecks bounds password hash checks running at once
	// (default 2; an argon2 check takes ~10 MiB and 75–340 ms).
	MaxConcurrentChecks int
	// MaxQueuedChecks bounds logins waiting for a check slot; more are
	// answered 429 (default 8 × MaxConcurrentChecks).
	MaxQueuedChecks int

	// FreeFailures failed logins from one address cost nothing (default
	// 5); every further one makes the address wait FailureDelay (default
	// 1s), doubling up to MaxFailureDelay (default 15m). An address's
	// failures are forgotten after FailureMemory without one (default 1h)
	// or on a successful login.
	FreeFailures                  int
	FailureDelay, MaxFailureDelay time.Duration
	FailureMemory                 time.Duration
	// GlobalFailures failures per minute from all addresses together
	// (default 30) make every password check wait, from FailureDelay
	// doubling up to GlobalMaxDelay (default 1m). Token and cookie
	// requests are never slowed.
	GlobalFailures int
	GlobalMaxDelay time.Duration
	// MaxThrottled bounds the addresses tracked (default 10000; the
	// least recently failed is forgotten first).
	MaxThrottled int

	// Device cookies (see device.go): a successful form login sets one,
	// valid for DeviceMaxAge (default 365 days; negative: no device
	// cookies), and later logins that present it skip the per-address and
	// global throttles. DeviceFailures failed logins with one device cookie
	// (default 5) within DeviceLockout (default 1h) lock that cookie out
	// for DeviceLockout; its logins are then throttled as any stranger's.
	// MaxDevices bounds the device cookies tracked (default MaxThrottled;
	// the least recently used is forgotten first).
	DeviceMaxAge   time.Duration
	DeviceFailures int
	DeviceLockout  time.Duration
	MaxDevices     int
	// MaxUnauthBody bounds the body of a request without credentials (a
	// public route: the login form is a few hundred bytes); bigger ones
	// get 413 and the connection is closed (default 4 KiB).
	MaxUnauthBody int64
	// Authenticated, if set, is told about every request that passed
	// authentication (or any request while auth is disabled), before its
	// body is read: the connection layer then stops treating it as a
	// stranger's.
	Authenticated func(*http.Request)
	// Logins, if set, is told each password form's outcome: LoginSuccess,
	// LoginFailure or LoginThrottled (for metrics).
	Logins func(result string)

	// UserHeader names the header a trusted reverse proxy signs users in
	// with, such as X-Remote-User (--trusted-user-header); "" = none. It is
	// believed only on requests for which FromProxy is true, and makes auth
	// enabled even without a token or password: the proxy's login is then
	// the only one. Such users pass the XSRF checks of cookie users, since
	// a browser repeats a proxy's login on its own.
	UserHeader string
	// AllowedUsers, if not empty, are the only user names UserHeader may
	// carry (--allowed-users); others are refused with 403.
	AllowedUsers []string
	// FromProxy reports whether a request came straight from a trusted
	// proxy (default: never).
	FromProxy func(*http.Request) bool

	// Hub, if set, makes JupyterHub the only identity provider (hub mode,
	// internal/hub): Token, PasswordHash and UserHeader must be empty.
	Hub Hub

	// ClientIP returns the real client address (default: host of
	// RemoteAddr). IsSecure reports a TLS request (default: r.TLS != nil).
	ClientIP func(*http.Request) string
	IsSecure func(*http.Request) bool
	Log      *slog.Logger
	// Audit records logins, logouts, session ends and refused requests
	// (nil: off).
	Audit *audit.Log
	Now   func() time.Time
}

func (o *Options) defaults() {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	setInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	setDur(&o.SessionIdle, 24*time.Hour)
	setDur(&o.SessionMax, 30*24*time.Hour)
	setInt(&o.MaxSessions, 10000)
	setInt(&o.MaxConcurrentChecks, 2)
	setInt(&o.MaxQueuedChecks, 8*o.MaxConcurrentChecks)
	setInt(&o.FreeFailures, 5)
	setDur(&o.FailureDelay, time.Second)
	setDur(&o.MaxFailureDelay, 15*time.Minute)
	setDur(&o.FailureMemory, time.Hour)
	setInt(&o.GlobalFailures, 30)
	setDur(&o.GlobalMaxDelay, time.Minute)
	setInt(&o.MaxThrottled, 10000)
	if o.DeviceMaxAge == 0 {
		o.DeviceMaxAge = 365 * 24 * time.Hour
	}
	setInt(&o.DeviceFailures, 5)
	setDur(&o.DeviceLockout, time.Hour)
	setInt(&o.MaxDevices, o.MaxThrottled)
	if o.MaxUnauthBody <= 0 {
		o.MaxUnauthBody = 4 << 10
	}
	if o.Authenticated == nil {
		o.Authenticated = func(*http.Request) {}
	}
	if o.Logins == nil {
		o.Logins = func(string) {}
	}
	if o.FromProxy == nil {
		o.FromProxy = func(*http.Request) bool { return false }
	}
	if o.ClientIP == nil {
		o.ClientIP = remoteHost
	}
	if o.IsSecure == nil {
		o.IsSecure = func(r *http.Request) bool { return r.TLS != nil }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func remoteHost(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// Auth authenticates requests. Make one with New; Close it when done.
type Auth struct {
	o        Options
	base     baseurl.Path // Options.BaseURL: requests are matched against it
	log      *slog.Logger
	disabled bool
	allowed  map[string]bool // Options.AllowedUsers; nil = anyone
	ignored  logEvery        // user headers not from a trusted proxy

	tokenSum  [sha256.Size]byte // of Options.Token; compared, never the token
	cookieKey []byte            // signs login cookies
	fpKey     []byte            // keys credential fingerprints
	fpToken   string            // "" when no token
	fpPass    string            // "" when no password
	tokenUser Identity          // the user of token requests without a session
	anonUser  Identity          // everybody, when auth is disabled

	// pages parses the embedded login/logout templates on first use, so
	// html/template's parser is not paid for at start.
	pages    func() (*template.Template, error)
	sessions *store
	thr      *throttle
	sem      chan struct{} // password check slots
	queued   atomic.Int32  // logins waiting for a slot
	// Logins with a trusted device cookie have one more check slot, which
	// only they use, and a queue of their own, so a flood that holds every
	// slot in sem and fills its queue cannot starve them. Device cookies
	// come only from successful logins and have one check at a time each,
	// so strangers cannot occupy this slot.
	dev       *devices
	devSem    chan struct{}
	devQueued atomic.Int32

	// verify checks a password; CheckPassword except in tests.
	verify   func(hash, pw string) (bool, error)
	hashRuns atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// New checks o, loads (or creates) the cookie secret and the session store
// in o.DataDir and returns the Auth.
func New(o Options) (*Auth, error) {
	o.defaults()
	if !strings.HasPrefix(o.BaseURL, "/") || !strings.HasSuffix(o.BaseURL, "/") {
		return nil, fmt.Errorf("auth: base URL %q must start and end with /", o.BaseURL)
	}
	base, berr := baseurl.Parse(o.BaseURL)
	if berr != nil {
		return nil, fmt.Errorf("auth: base URL %w", berr)
	}
	o.BaseURL = base.String()
	if o.PasswordHash != "" {
		if err := ValidateHash(o.PasswordHash); err != nil {
			return nil, fmt.Errorf("auth: password hash: %w", err)
		}
	}
	a := &Auth{
		o: o, base: base, log: o.Log,
		disabled: o.Token == "" && o.PasswordHash == "" && o.UserHeader == "" && o.Hub == nil,
		tokenSum: sha256.Sum256([]byte(o.Token)),
		sem:      make(chan struct{}, o.MaxConcurrentChecks),
		devSem:   make(chan struct{}, 1),
		verify:   CheckPassword,
	}
	a.ignored.period = time.Minute
	if o.Hub != nil && (o.Token != "" || o.PasswordHash != "" || o.UserHeader != "") {
		return nil, errors.New("auth: in hub mode the Hub is the only sign-in: no token, password or trusted user header")
	}
	if o.UserHeader != "" {
		if err := checkUserHeader(o.UserHeader); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		a.o.UserHeader = http.CanonicalHeaderKey(o.UserHeader)
	} else if len(o.AllowedUsers) > 0 {
		return nil, errors.New("auth: allowed users need a trusted user header")
	}
	if len(o.AllowedUsers) > 0 {
		a.allowed = make(map[string]bool, len(o.AllowedUsers))
		for _, u := range o.AllowedUsers {
			a.allowed[u] = true
		}
	}
	a.thr = newThrottle(&a.o)
	a.pages = sync.OnceValues(parsePages)
	var secret []byte
	if o.DataDir != "" {
		var err error
		if secret, err = loadSecret(o.DataDir); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
	} else if !a.disabled {
		return nil, errors.New("auth: a data directory is required for login sessions")
	} else {
		secret = make([]byte, secretLen)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
	}
	// The password hash enters the cookie key, so a new password voids
	// every cookie; the token enters the fingerprint of sessions it made.
	a.cookieKey = mac(secret, "quire login cookie v1", o.PasswordHash)
	a.fpKey = mac(secret, "quire session credential v1")
	// Device cookies have a key of their own. The password hash stays out
	// of it: a device cookie proves no credential, and with QUIRE_PASSWORD
	// the hash changes at every start.
	a.dev = newDevices(secret, &a.o)
	if o.Token != "" {
		a.fpToken = a.fingerprint("token", o.Token)
	}
	if o.PasswordHash != "" {
		a.fpPass = a.fingerprint("password", o.PasswordHash)
	}
	a.tokenUser = anonymous(mac(secret, "quire token user v1", o.Token))
	a.tokenUser.Method = MethodToken
	a.anonUser = anonymous(mac(secret, "quire anonymous user v1"))
	a.anonUser.Method = MethodNone

	path := ""
	if o.DataDir != "" && !a.disabled {
		path = filepath.Join(o.DataDir, sessionsFile)
	}
	valid := func(fp string) bool { return fp != "" && (fp == a.fpToken || fp == a.fpPass) }
	var err error
	a.sessions, err = openStore(path, o.SessionIdle, o.SessionMax, o.MaxSessions, valid, a.sessionEnded, o.Now(), o.Log)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if a.disabled {
		a.log.Warn("authentication is disabled: no token and no password; every request is allowed")
	}
	return a, nil
}

// Login outcomes given to Options.Logins.
const (
	LoginSuccess   = "success"
	LoginFailure   = "failure"   // wrong password or token
	LoginThrottled = "throttled" // refused unchecked: too many failures, or checks busy
)

// Sessions is the number of live browser sessions (login cookies).
func (a *Auth) Sessions() int { return a.sessions.count(a.o.Now()) }

// Close writes the session store. It is safe to call more than once.
func (a *Auth) Close() error {
	a.closeOnce.Do(func() {
		a.closeErr = a.sessions.flush(a.o.Now())
	})
	return a.closeErr
}

// fingerprint identifies a credential without revealing it.
func (a *Auth) fingerprint(kind, cred string) string {
	return hex.EncodeToString(mac(a.fpKey, kind, cred)[:16])
}

// mac is HMAC-SHA256 over the NUL-separated parts.
func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// moons name anonymous users, as jupyter_server does ("Anonymous Io").
func moonName(i byte) string {
	moons := [...]string{
		"Adrastea", "Aitne", "Amalthea", "Ananke", "Aoede", "Arche", "Autonoe",
		"Callirrhoe", "Callisto", "Carme", "Carpo", "Chaldene", "Cyllene", "Dia",
		"Elara", "Erinome", "Ersa", "Euanthe", "Eukelade", "Eupheme", "Euporie",
		"Europa", "Eurydome", "Ganymede", "Harpalyke", "Hegemone", "Helike",
		"Hermippe", "Herse", "Himalia", "Io", "Iocaste", "Isonoe", "Kale",
		"Kallichore", "Kalyke", "Kore", "Leda", "Lysithea", "Megaclite", "Metis",
		"Mneme", "Orthosie", "Pandia", "Pasiphae", "Pasithee", "Philophrosyne",
		"Praxidike", "Sinope", "Sponde", "Taygete", "Thebe", "Thelxinoe",
		"Themisto", "Thyone",
	}
	return moons[int(i)%len(moons)]
}

// anonymous derives an anonymous user from 16 or more seed bytes.
func anonymous(seed []byte) Identity {
	moon := moonName(seed[16])
	name := "Anonymous " + moon
	return Identity{
		Username:    hex.EncodeToString(seed[:16]),
		Name:        name,
		DisplayName: name,
		Initials:    "A" + moon[:1],
	}
}

// newAnonymous returns a fresh random anonymous user.
func newAnonymous() (Identity, error) {
	seed := make([]byte, 17)
	if _, err := rand.Read(seed); err != nil {
		return Identity{}, fmt.Errorf("anonymous user: %w", err)
	}
	return anonymous(seed), nil
}
