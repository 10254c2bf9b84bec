package guard

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// peer returns the address of the connection's other end, or an invalid
// Addr for Unix sockets and unparsable RemoteAddr values.
func peer(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// trusted reports whether a is inside one of the trusted proxy prefixes.
func (g *Guard) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range g.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a
// port or in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// FromProxy reports whether r came straight from a --trusted-proxy peer:
// the one test of whether a request's forwarding headers, and a proxy's
// user header, may be believed.
func (g *Guard) FromProxy(r *http.Request) bool {
	return g.trusted(peer(r)) || g.trustUnix && isUnix(r) ||
		g.tlsProxy && r.TLS != nil && len(r.TLS.VerifiedChains) > 0
}

// ClientIP returns the client's address. The forwarding headers are read
// only when the peer is a trusted proxy, and then from the right: the first
// hop that is not itself a trusted proxy is the client, since everything
// left of it may have been written by the client. The hops are
// X-Forwarded-For's entries or, from a proxy that sends only RFC 7239
// Forwarded (see rfc7239), the for= of each Forwarded element. A malformed
// or obfuscated hop ("unknown", "_hidden") stops the walk at the proxy that
// reported it. Unix-socket peers are reported as "unix", and trusted as
// proxies only with Options.TrustUnix.
func (g *Guard) ClientIP(r *http.Request) string {
	a := peer(r)
	client := a.String()
	if !a.IsValid() {
		switch host, _, err := net.SplitHostPort(r.RemoteAddr); {
		case isUnix(r):
			client = "unix"
		case err == nil:
			return host
		default:
			return r.RemoteAddr
		}
	}
	if !g.FromProxy(r) {
		return client
	}
	var hops []string
	if rfc7239(r.Header) {
		for _, e := range forwardedElements(r.Header) {
			hops = append(hops, e["for"]) // "" when missing or malformed: stops the walk
		}
	} else {
		hops = forwarded(r.Header, "X-Forwarded-For")
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, ok := parseHop(hops[i])
		if !ok {
			return client
		}
		client = h.String()
		if !g.trusted(h) {
			return client
		}
	}
	return client
}

// forwarded splits every value of a comma-separated forwarding header, in
// order, dropping empty entries.
func forwarded(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// lastForwarded returns what the nearest proxy said of one property of
// the client's request, "proto" or "host", but only when the peer is a
// trusted proxy: the rightmost entry of X-Forwarded-Proto or
// X-Forwarded-Host or, from a proxy that sends only RFC 7239 Forwarded, the
// parameter of the last Forwarded element.
func (g *Guard) lastForwarded(r *http.Request, param string) string {
	if !g.FromProxy(r) {
		return ""
	}
	if rfc7239(r.Header) {
		els := forwardedElements(r.Header)
		if len(els) == 0 {
			return ""
		}
		return els[len(els)-1][param]
	}
	v := forwarded(r.Header, "X-Forwarded-"+param)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// IsSecure reports whether the client reached Quire over HTTPS: the
// connection is TLS, or a trusted proxy says X-Forwarded-Proto: https (or
// Forwarded: proto=https).
func (g *Guard) IsSecure(r *http.Request) bool {
	if r.TLS != nil && !g.tlsProxy {
		return true
	}
	// A proxy forwarding a WebSocket may say ws/wss (configurable-http-proxy).
	p := g.lastForwarded(r, "proto")
	return strings.EqualFold(p, "https") || strings.EqualFold(p, "wss")
}

// ownOrigin is the origin the browser used to reach this request: scheme
// from IsSecure, host from a trusted proxy's X-Forwarded-Host (Forwarded's
// host=) or the Host header.
func (g *Guard) ownOrigin(r *http.Request) string {
	host := g.requestHost(r)
	scheme := "http"
	if g.IsSecure(r) {
		scheme = "https"
	}
	o, ok := canonOrigin(scheme, host)
	if !ok {
		return "" // a malformed host matches no Origin
	}
	return o
}

// requestHost is the host the browser asked for: a trusted proxy's
// X-Forwarded-Host (Forwarded's host=), else the Host header.
func (g *Guard) requestHost(r *http.Request) string {
	if host := g.lastForwarded(r, "host"); host != "" {
		return host
	}
	return r.Host
}

// sameOrigin reports whether lorigin (lower case) is the server's own:
// the origin the browser used for r, the --public-url's, or with
// OriginAnyScheme r's host and port under either scheme.
func (g *Guard) sameOrigin(lorigin string, r *http.Request) bool {
	if lorigin == g.ownOrigin(r) || (g.public != "" && lorigin == g.public) {
		return true
	}
	if !g.anyScheme {
		return false
	}
	host := g.requestHost(r)
	for _, scheme := range []string{"http", "https"} {
		if o, ok := canonOrigin(scheme, host); ok && o == lorigin {
			return true
		}
	}
	return false
}

// isUnix reports whether r arrived on a Unix-domain socket listener.
func isUnix(r *http.Request) bool {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return ok && a != nil && strings.HasPrefix(a.Network(), "unix")
}
