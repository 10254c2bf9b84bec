package guard

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
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
	AllowHosts []string
	// AllowOrigins are exact origins such as "https://a.example:8443" that may
	// make credentialed cross-origin requests. No prefix or pattern matching;
	// "*" is refused by New.
	AllowOrigins []string
	// TrustedProxies are the peers whose X-Forwarded-For, -Proto and -Host
	// headers are believed.
	TrustedProxies []netip.Prefix
	// TLS is true when the server itself terminates TLS.
	TLS bool
	// Log receives refusals; nil discards them.
	Log *slog.Logger
}

// Guard applies Host, Origin and header policy to every request. Build it
// with New; its methods are safe for concurrent use.
type Guard struct {
	base      string
	api       string // base + "api/"
	hostCheck bool
	hosts     map[string]bool
	origins   map[string]bool
	proxies   []netip.Prefix
	tls       bool
	log       *slog.Logger
}

// New checks o and returns a Guard.
func New(o Options) (*Guard, error) {
	g := &Guard{
		base:      normBase(o.BaseURL),
		hostCheck: o.HostCheck,
		hosts:     make(map[string]bool),
		origins:   make(map[string]bool),
		tls:       o.TLS,
		log:       o.Log,
	}
	g.api = g.base + "api/"
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	for _, h := range o.AllowHosts {
		name := hostName(h)
		if name == "" || strings.ContainsAny(name, "*/?#@ \t") {
			return nil, fmt.Errorf("allow-host %q: want a plain host name or address, without wildcards", h)
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
	for _, p := range o.TrustedProxies {
		if !p.IsValid() {
			return nil, errors.New("trusted proxy: invalid prefix")
		}
		g.proxies = append(g.proxies, p.Masked())
	}
	return g, nil
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
	return canonOrigin(u.Scheme, u.Host), nil
}

// canonOrigin lower-cases scheme and host and drops the scheme's default port.
func canonOrigin(scheme, hostport string) string {
	scheme = strings.ToLower(scheme)
	hostport = strings.ToLower(hostport)
	if (scheme == "http" && strings.HasSuffix(hostport, ":80")) || (scheme == "https" && strings.HasSuffix(hostport, ":443")) {
		hostport = hostport[:strings.LastIndexByte(hostport, ':')]
	}
	return scheme + "://" + hostport
}

// hostName strips the port and IPv6 brackets from a Host header value,
// lower-cases it and drops one trailing dot.
func hostName(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	h = strings.ToLower(h)
	return strings.TrimSuffix(h, ".")
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
