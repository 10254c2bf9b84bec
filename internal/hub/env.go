// Package hub makes Quire a JupyterHub single-user server: it reads the
// Hub's environment, talks to the Hub's API (version, OAuth token exchange,
// token identification, activity) and signs browsers in with the Hub's
// OAuth 2 code flow. The auth middleware calls it as its only identity
// provider in hub mode; it decides nothing about XSRF, Host or Origin.
package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"quire/internal/baseurl"
)

// Env is what the Hub tells its single-user server through environment
// variables (spec 80-jupyterhub.md §2).
type Env struct {
	APIToken    string // JUPYTERHUB_API_TOKEN (or JPY_API_TOKEN): a secret
	APIURL      string // JUPYTERHUB_API_URL, without a trailing slash
	ActivityURL string // JUPYTERHUB_ACTIVITY_URL; "" = no activity reports
	BaseURL     string // JUPYTERHUB_BASE_URL, "/…/"
	// Prefix is JUPYTERHUB_SERVICE_PREFIX, "/…/": Quire's base URL, as
	// the Hub escapes it ("/user/zo%C3%AB@ex.org/"; baseurl.Parse).
	Prefix       string
	ClientID     string // JUPYTERHUB_CLIENT_ID: OAuth client and cookie name
	CallbackURL  string // JUPYTERHUB_OAUTH_CALLBACK_URL, sent verbatim
	AccessScopes []string
	User         string // JUPYTERHUB_USER, the owner, unescaped
	ServerName   string // JUPYTERHUB_SERVER_NAME; "" = the default server
	Host         string // JUPYTERHUB_HOST: the Hub's public origin with subdomains
	RootDir      string // JUPYTERHUB_ROOT_DIR, ~ expanded; "" = unset
	DefaultURL   string // JUPYTERHUB_DEFAULT_URL
	Debug        bool   // JUPYTERHUB_DEBUG
	// PublicHTTPS: JUPYTERHUB_PUBLIC_URL (Hub 5+) is https, so browsers
	// reach this server over TLS even when the proxy's headers do not say.
	PublicHTTPS bool

	// ListenHost and ListenPort come from JUPYTERHUB_SERVICE_URL; an empty
	// host means every interface.
	ListenHost string
	ListenPort int
	// ActivityInterval is JUPYTERHUB_ACTIVITY_INTERVAL (default 300 s;
	// 0 = off).
	ActivityInterval time.Duration
	// AllowTokenInURL is JUPYTERHUB_ALLOW_TOKEN_IN_URL: ?token= accepted
	// on every request, not only WebSocket upgrades.
	AllowTokenInURL bool
	// WebSocketCookie is JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH (default on).
	WebSocketCookie bool
	// Cookie holds the admin's cookie attributes (JUPYTERHUB_COOKIE_OPTIONS).
	Cookie CookieOptions
	// HostPrefix is JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED (Hub 4.1+): cookie
	// names get "__Host-", path "/", Secure and no Domain.
	HostPrefix bool
	// DisableUserConfig is JUPYTERHUB_DISABLE_USER_CONFIG: the user's own
	// config file (~/.config/quire/config.json) is not read.
	DisableUserConfig bool
	// Internal SSL (JupyterHub's internal_ssl): this server's key pair,
	// presented to the proxy and the Hub and to the Hub's API as a client
	// certificate, and the CA bundle that client certificates and the
	// Hub's API must be signed by. All three or none.
	SSLKeyFile, SSLCertFile, SSLClientCA string
	// Notes are things worth a warning at start (options ignored).
	Notes []string
}

// InternalSSL reports whether the Hub runs this server with internal SSL.
func (e Env) InternalSSL() bool { return e.SSLCertFile != "" }

// CookieOptions are the cookie attributes an admin set with
// JUPYTERHUB_COOKIE_OPTIONS (a JSON object, as tornado's set_cookie takes
// them). Path and HttpOnly stay Quire's: cookies are scoped to the prefix
// and never readable by scripts.
type CookieOptions struct {
	Secure   bool          // "secure": true
	SameSite http.SameSite // "samesite"; 0 = Quire's Lax
	Domain   string        // "domain"
	// MaxAge caps the login cookie's lifetime ("max_age" seconds or
	// "expires_days" days); 0 = the token's lifetime.
	MaxAge time.Duration
	// Session makes the login cookie a browser-session cookie
	// ("expires_days": null).
	Session bool
}

// parseCookieOptions reads JUPYTERHUB_COOKIE_OPTIONS. Keys are
// case-insensitive; unknown ones and those Quire keeps for itself are
// returned as notes; a value of the wrong type is an error.
func parseCookieOptions(s string) (CookieOptions, []string, error) {
	var o CookieOptions
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return o, nil, fmt.Errorf("hub mode: JUPYTERHUB_COOKIE_OPTIONS is not a JSON object: %w", err)
	}
	bad := func(k, want string) error {
		return fmt.Errorf("hub mode: JUPYTERHUB_COOKIE_OPTIONS: %q must be %s", k, want)
	}
	var notes []string
	for k, v := range raw {
		switch strings.ToLower(strings.ReplaceAll(k, "-", "_")) {
		case "secure":
			if json.Unmarshal(v, &o.Secure) != nil {
				return o, nil, bad(k, "true or false")
			}
		case "samesite":
			var ss string
			if json.Unmarshal(v, &ss) != nil {
				return o, nil, bad(k, `"Lax", "Strict" or "None"`)
			}
			switch strings.ToLower(ss) {
			case "lax":
				o.SameSite = http.SameSiteLaxMode
			case "strict":
				o.SameSite = http.SameSiteStrictMode
			case "none":
				o.SameSite = http.SameSiteNoneMode
			default:
				return o, nil, bad(k, `"Lax", "Strict" or "None"`)
			}
		case "domain":
			if json.Unmarshal(v, &o.Domain) != nil || strings.ContainsAny(o.Domain, "; \t\r\n") {
				return o, nil, bad(k, "a host name")
			}
		case "expires_days", "max_age":
			if string(v) == "null" {
				o.Session = true
				continue
			}
			var n float64
			if json.Unmarshal(v, &n) != nil || n <= 0 {
				return o, nil, bad(k, "a positive number or null")
			}
			unit := time.Second
			if strings.HasPrefix(strings.ToLower(k), "expires") {
				unit = 24 * time.Hour
			}
			o.MaxAge = time.Duration(n * float64(unit))
		default: // path, httponly, expires and anything else
			notes = append(notes, "JUPYTERHUB_COOKIE_OPTIONS "+k)
		}
	}
	return o, notes, nil
}

// Detected reports whether the Hub's variables are present, so that plain
// `quire` enters hub mode.
func Detected(lookup func(string) (string, bool)) bool {
	for _, k := range []string{"JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_CLIENT_ID"} {
		if v, _ := lookup(k); v == "" {
			return false
		}
	}
	a, _ := lookup("JUPYTERHUB_API_TOKEN")
	b, _ := lookup("JPY_API_TOKEN")
	return a != "" || b != ""
}

// LoadEnv reads the Hub's variables. A missing required one is an error
// naming it.
func LoadEnv(lookup func(string) (string, bool)) (Env, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var e Env
	e.APIToken = get("JUPYTERHUB_API_TOKEN")
	if e.APIToken == "" {
		e.APIToken = get("JPY_API_TOKEN")
	}
	required := []struct {
		name string
		dst  *string
	}{
		{"JUPYTERHUB_API_URL", &e.APIURL},
		{"JUPYTERHUB_CLIENT_ID", &e.ClientID},
		{"JUPYTERHUB_SERVICE_PREFIX", &e.Prefix},
		{"JUPYTERHUB_OAUTH_CALLBACK_URL", &e.CallbackURL},
		{"JUPYTERHUB_USER", &e.User},
	}
	if e.APIToken == "" {
		return Env{}, errors.New("hub mode: JUPYTERHUB_API_TOKEN is not set (is Quire started by JupyterHub?)")
	}
	for _, r := range required {
		if *r.dst = get(r.name); *r.dst == "" {
			return Env{}, fmt.Errorf("hub mode: %s is not set", r.name)
		}
	}
	e.APIURL = strings.TrimRight(e.APIURL, "/")
	if u, err := url.Parse(e.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_API_URL %q is not an http(s) URL", e.APIURL)
	}
	prefix, err := baseurl.Parse(e.Prefix)
	if err != nil {
		return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_SERVICE_PREFIX %w", err)
	}
	e.Prefix = prefix.String()
	e.BaseURL = slashed(get("JUPYTERHUB_BASE_URL"))
	e.ActivityURL = get("JUPYTERHUB_ACTIVITY_URL")
	e.ServerName = get("JUPYTERHUB_SERVER_NAME")
	e.Host = strings.TrimRight(get("JUPYTERHUB_HOST"), "/")
	e.DefaultURL = get("JUPYTERHUB_DEFAULT_URL")
	e.Debug = truthy(get("JUPYTERHUB_DEBUG"))
	e.PublicHTTPS = strings.HasPrefix(strings.ToLower(get("JUPYTERHUB_PUBLIC_URL")), "https:") ||
		strings.HasPrefix(strings.ToLower(e.Host), "https:")
	e.AllowTokenInURL = truthy(get("JUPYTERHUB_ALLOW_TOKEN_IN_URL"))
	e.HostPrefix = truthy(get("JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED"))
	e.DisableUserConfig = truthy(get("JUPYTERHUB_DISABLE_USER_CONFIG"))
	if v := get("JUPYTERHUB_COOKIE_OPTIONS"); v != "" {
		var notes []string
		var err error
		if e.Cookie, notes, err = parseCookieOptions(v); err != nil {
			return Env{}, err
		}
		for _, n := range notes {
			e.Notes = append(e.Notes, n+" (Quire keeps its own)")
		}
	}
	e.WebSocketCookie = true
	if v := get("JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH"); v != "" {
		e.WebSocketCookie = truthy(v)
	}

	scopes := get("JUPYTERHUB_OAUTH_ACCESS_SCOPES")
	if scopes == "" {
		scopes = get("JUPYTERHUB_OAUTH_SCOPES")
	}
	if scopes != "" {
		if err := json.Unmarshal([]byte(scopes), &e.AccessScopes); err != nil {
			return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_OAUTH_ACCESS_SCOPES is not a JSON list of strings: %w", err)
		}
	}
	if len(e.AccessScopes) == 0 {
		return Env{}, errors.New("hub mode: JUPYTERHUB_OAUTH_ACCESS_SCOPES is not set: no token could be allowed in")
	}

	svc := get("JUPYTERHUB_SERVICE_URL")
	if svc == "" {
		return Env{}, errors.New("hub mode: JUPYTERHUB_SERVICE_URL is not set")
	}
	u, err := url.Parse(svc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_SERVICE_URL %q is not an http(s) URL", svc)
	}
	e.SSLKeyFile = get("JUPYTERHUB_SSL_KEYFILE")
	e.SSLCertFile = get("JUPYTERHUB_SSL_CERTFILE")
	e.SSLClientCA = get("JUPYTERHUB_SSL_CLIENT_CA")
	if u.Scheme == "https" || e.SSLKeyFile != "" || e.SSLCertFile != "" || e.SSLClientCA != "" {
		for _, v := range []struct{ name, val string }{
			{"JUPYTERHUB_SSL_KEYFILE", e.SSLKeyFile}, {"JUPYTERHUB_SSL_CERTFILE", e.SSLCertFile}, {"JUPYTERHUB_SSL_CLIENT_CA", e.SSLClientCA},
		} {
			if v.val == "" {
				return Env{}, fmt.Errorf("hub mode: internal SSL (JUPYTERHUB_SERVICE_URL %s) needs %s, which is not set", svc, v.name)
			}
		}
		if u.Scheme != "https" {
			return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_SSL_* are set but JUPYTERHUB_SERVICE_URL %q is not https", svc)
		}
	}
	e.ListenHost = u.Hostname()
	e.ListenPort = 80
	if p := u.Port(); p != "" {
		if e.ListenPort, err = strconv.Atoi(p); err != nil || e.ListenPort <= 0 || e.ListenPort > 65535 {
			return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_SERVICE_URL has a bad port %q", p)
		}
	}

	e.ActivityInterval = 300 * time.Second
	if v := get("JUPYTERHUB_ACTIVITY_INTERVAL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_ACTIVITY_INTERVAL %q is not a number of seconds", v)
		}
		e.ActivityInterval = time.Duration(n) * time.Second
	}

	if d := get("JUPYTERHUB_ROOT_DIR"); d != "" {
		if d == "~" || strings.HasPrefix(d, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_ROOT_DIR %q: %w", d, err)
			}
			d = filepath.Join(home, strings.TrimPrefix(d, "~"))
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return Env{}, fmt.Errorf("hub mode: JUPYTERHUB_ROOT_DIR %q is not a directory", d)
		}
		e.RootDir = d
	}
	return e, nil
}

// ListenIP is the address for --ip: the service URL's host, or every
// interface when it has none.
func (e Env) ListenIP() string {
	if e.ListenHost == "" {
		return "0.0.0.0"
	}
	return e.ListenHost
}

// ListenAddr is host:port for logs.
func (e Env) ListenAddr() string {
	return net.JoinHostPort(e.ListenIP(), strconv.Itoa(e.ListenPort))
}

// HubPrefix is the Hub's own URL prefix as a browser reaches it:
// JUPYTERHUB_HOST + JUPYTERHUB_BASE_URL + "hub/".
func (e Env) HubPrefix() string {
	return e.Host + e.BaseURL + "hub/"
}

func slashed(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Page maps JUPYTERHUB_DEFAULT_URL, written for JupyterLab or Notebook,
// onto Quire's UI: the path under the prefix that GET {prefix} leads to.
// ok is false for a URL Quire has no page for (then the UI's root).
func Page(defaultURL string) (page string, ok bool) {
	p := strings.TrimPrefix(strings.TrimSpace(defaultURL), "/")
	if p == "" {
		return "tree/", true
	}
	p, _, _ = strings.Cut(p, "?")
	head, rest, _ := strings.Cut(p, "/")
	switch head {
	case "lab", "doc":
		// /lab, /lab/tree/x.ipynb, /lab/workspaces/…/tree/x, /doc/tree/x
		if i := strings.Index(rest, "tree/"); i >= 0 && (i == 0 || rest[i-1] == '/') {
			return filePage(rest[i+len("tree/"):]), true
		}
		return "tree/", true
	case "tree":
		return "tree/" + rest, true
	case "notebooks", "edit", "terminals":
		return head + "/" + rest, true
	}
	return "tree/", false
}

// filePage is the Quire page of a path that JupyterLab's /lab/tree/ names:
// a folder, a notebook or another file.
func filePage(p string) string {
	switch {
	case p == "" || strings.HasSuffix(p, "/"):
		return "tree/" + p
	case strings.HasSuffix(p, ".ipynb"):
		return "notebooks/" + p
	}
	return "edit/" + p
}
