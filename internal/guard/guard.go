package guard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"quire/internal/audit"
	"quire/internal/baseurl"
)

// Options configures a Guard. The zero value (plus a BaseURL) is a server
// bound to a public address with no extra origins and no proxies.
type Options struct {
	// BaseURL is the path prefix Quire is served under, "/" by default.
	BaseURL string
	// HostCheck is true when the server is bound to loopback (or a Unix
	// socket): only loopback names and addresses and AllowHosts are accepted
	// in the Host header, which defeats DNS rebinding.
	HostCheck bool
	// AllowHosts are extra Host names (exact, case-insensitive, port ignored).
	// Every Host header must parse as host[:port] (see parseHost), whatever
	// the list holds.
	AllowHosts []string
	// AllowOrigins are exact origins such as "https://a.example:8443" that may
	// make credentialed cross-origin requests. No prefix or pattern matching;
	// "*" is refused by New.
	AllowOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For, -Proto and -Host
	// headers are believed.
	TrustedProxies []netip.Prefix
	// TrustUnix makes peers on a Unix-socket listener trusted proxies too
	// (--trusted-proxy unix). The socket is the server user's alone, so
	// such a peer is a proxy running as that user.
	TrustUnix bool
	// TLSProxies says the listener's TLS is a proxy's hop, not the
	// browser's (JupyterHub's internal SSL, where every peer must present
	// a client certificate the CA signed): peers with a verified client
	// certificate are trusted proxies, and a TLS connection alone does not
	// make a request https.
	TLSProxies bool
	// FrameNone makes every response's Content-Security-Policy say
	// frame-ancestors 'none' (and X-Frame-Options DENY), whatever policy
	// the handler set, except the output sandbox page Quire's own pages
	// frame. Hub mode sets it: every user's server shares the Hub's origin,
	// and a page of one must not be framed by another's.
	FrameNone bool
	// OriginAnyScheme lets an Origin with this request's own host and port
	// but the other scheme pass as the server's own. Hub mode sets it: the
	// Hub's proxy (or a load balancer before it) may end the browser's TLS
	// without Quire trusting its headers, so Quire cannot tell http from
	// https, and JupyterHub's own single-user server compares hosts only.
	// A cross-site page has another host, so it is still refused.
	OriginAnyScheme bool
	// PublicURL is the URL users type when a proxy's headers cannot say it
	// (--public-url, checked by ParsePublicURL): its origin passes the
	// Origin check as the server's own, and its host the Host check.
	PublicURL string
	// HSTSMaxAge is the max-age of the Strict-Transport-Security header
	// set on responses to requests that came over HTTPS (directly, or
	// through a trusted proxy); 0 sets none.
	HSTSMaxAge time.Duration
	// Log receives refusals; nil discards them.
	Log *slog.Logger
	// Audit records refused requests (nil: off).
	Audit *audit.Log
}

// Guard applies Host, Origin and header policy to every request. Build it
// with New; its methods are safe for concurrent use.
type Guard struct {
	base      baseurl.Path
	hostCheck bool
	hosts     map[string]bool
	origins   map[string]bool
	proxies   []netip.Prefix
	trustUnix bool
	tlsProxy  bool
	frameNone bool
	anyScheme bool
	public    string // origin of Options.PublicURL, "" = none
	hsts      string // Strict-Transport-Security value, "" = none
	log       *slog.Logger
	audit     *audit.Log
}

// New checks o and returns a Guard.
func New(o Options) (*Guard, error) {
	base, err := baseurl.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("base URL %w", err)
	}
	g := &Guard{
		base:      base,
		hostCheck: o.HostCheck,
		hosts:     make(map[string]bool),
		origins:   make(map[string]bool),
		trustUnix: o.TrustUnix,
		tlsProxy:  o.TLSProxies,
		frameNone: o.FrameNone,
		anyScheme: o.OriginAnyScheme,
		log:       o.Log,
		audit:     o.Audit,
	}
	if o.HSTSMaxAge < 0 {
		return nil, errors.New("HSTS max-age must not be negative")
	}
	if secs := int64(o.HSTSMaxAge / time.Second); secs > 0 {
		g.hsts = "max-age=" + strconv.FormatInt(secs, 10)
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	for _, h := range o.AllowHosts {
		name := hostName(h)
		if name == "" {
			return nil, fmt.Errorf("allow-host %q: want a plain host name or address (an optional port is ignored), without wildcards", h)
		}
		g.hosts[name] = true
	}
	for _, s := range o.AllowOrigins {
		o, err := parseOrigin(s)
		if err != nil {
			return nil, fmt.Errorf("allow-origin %q: %w", s, err)
		}
		g.origins[o] = true
	}
	if o.PublicURL != "" {
		u, err := ParsePublicURL(o.PublicURL)
		if err != nil {
			return nil, err
		}
		g.public, _ = canonOrigin(u.Scheme, u.Host)
		g.hosts[hostName(u.Host)] = true
	}
	for _, p := range o.TrustedProxies {
		if !p.IsValid() {
			return nil, errors.New("trusted proxy: invalid prefix")
		}
		g.proxies = append(g.proxies, p.Masked())
	}
	return g, nil
}

// ParsePublicURL checks a --public-url: an absolute http or https URL with
// a valid host[:port], no user, query or fragment, whose path ends in "/".
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("public URL %q: not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("public URL %q: want http(s)://host[:port]/path/, with no user, query or fragment", s)
	}
	if _, ok := canonOrigin(u.Scheme, u.Host); !ok {
		return nil, fmt.Errorf("public URL %q: want a host name or address and a port from 1 to 65535", s)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		return nil, fmt.Errorf("public URL %q: the path must end in / (it is the base URL as users see it)", s)
	}
	return u, nil
}

// parseOrigin validates a configured origin and returns its canonical form:
// lower-case scheme and host, default port removed, no trailing slash.
func parseOrigin(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "*":
		return "", errors.New(`"*" would let every web site act as the logged-in user; list each origin exactly, e.g. https://app.example:8443`)
	case "null":
		return "", errors.New(`"null" is the origin of sandboxed frames and local files, which any page can create; it cannot be allowed`)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("want scheme://host[:port] with scheme http or https")
	}
	if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("want only scheme://host[:port], with no user, path, query or fragment")
	}
	if strings.ContainsAny(u.Host, "*") {
		return "", errors.New("wildcards are not supported; list each origin exactly")
	}
	o, ok := canonOrigin(u.Scheme, u.Host)
	if !ok {
		return "", errors.New("want scheme://host[:port] with a host name or address and a port from 1 to 65535")
	}
	return o, nil
}

// canonOrigin returns scheme://host[:port] with scheme and host lower-cased,
// one trailing dot of the host dropped, the port in plain decimal and the
// scheme's default port removed. ok is false when hostport is not a valid
// host[:port] (see parseHost).
func canonOrigin(scheme, hostport string) (string, bool) {
	name, port, ok := parseHost(hostport)
	if !ok {
		return "", false
	}
	scheme = strings.ToLower(scheme)
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	if port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return scheme + "://" + name, true
	}
	return scheme + "://" + name + ":" + port, true
}

// hostName returns the name part of a valid Host header value (see
// parseHost), or "" for an invalid one.
func hostName(hostport string) string {
	name, _, ok := parseHost(hostport)
	if !ok {
		return ""
	}
	return name
}

// parseHost is the one parser of Host headers, X-Forwarded-Host entries,
// --allow-host values and the authority of origins. The whole value must be
// a host, optionally followed by ":" and a port:
//
//   - the host is a DNS name or IPv4 address (letters, digits, "-", "_" and
//     dots, not starting with a dot), or an IPv6 address in brackets
//     without a zone;
//   - the port is 1 to 5 ASCII digits with a value from 1 to 65535.
//
// Anything else is refused: a port holding letters or dots
// ("localhost:18888.evil.com"), hex ("localhost:0x50"), an empty port
// ("localhost:"), user info ("a@localhost"), IPv6 without brackets,
// spaces, percent-encoding or trailing garbage. name is lower-cased with one
// trailing dot dropped, and without brackets; port is in plain decimal
// ("" when absent).
func parseHost(hostport string) (name, port string, ok bool) {
	h, p := hostport, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", "", false
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", false
		}
		rest := h[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", false
			}
			p = rest[1:]
			if p == "" {
				return "", "", false
			}
		}
		name = strings.ToLower(h[1:end])
	} else {
		if i := strings.IndexByte(h, ':'); i >= 0 {
			h, p = h[:i], h[i+1:]
			if p == "" {
				return "", "", false
			}
		}
		if !validName(h) {
			return "", "", false
		}
		name = strings.TrimSuffix(strings.ToLower(h), ".")
	}
	if p != "" {
		if len(p) > 5 {
			return "", "", false
		}
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", "", false
			}
			n = n*10 + int(p[i]-'0')
		}
		if n < 1 || n > 65535 {
			return "", "", false
		}
		port = strconv.Itoa(n)
	}
	return name, port, true
}

// validName reports a DNS name or IPv4 address: ASCII letters, digits, "-",
// "_" and dots, at most 253 bytes, not starting with a dot and without
// empty labels (one trailing dot is allowed).
func validName(h string) bool {
	if h == "" || len(h) > 254 || h[0] == '.' || strings.Contains(h, "..") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isLoopbackName reports loopback IP literals, "localhost" and names under
// ".localhost", which resolve to loopback by RFC 6761.
func isLoopbackName(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return a.Unmap().IsLoopback()
	}
	return false
}
