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

// ClientIP returns the client's address. X-Forwarded-For is read only when
// the peer is a trusted proxy, and then from the right: the first hop that
// is not itself a trusted proxy is the client, since everything left of it
// may have been written by the client. A malformed hop stops the walk at the
// proxy that reported it. Unix-socket peers are reported as "unix".
func (g *Guard) ClientIP(r *http.Request) string {
	a := peer(r)
	if !a.IsValid() {
		if isUnix(r) {
			return "unix"
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			return host
		}
		return r.RemoteAddr
	}
	if !g.trusted(a) {
		return a.String()
	}
	hops := forwarded(r.Header, "X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		h, ok := parseHop(hops[i])
		if !ok {
			return a.String()
		}
		a = h
		if !g.trusted(a) {
			return a.String()
		}
	}
	return a.String()
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

// lastForwarded returns the rightmost entry of a forwarding header, the one
// written by the nearest proxy, but only when the peer is a trusted proxy.
func (g *Guard) lastForwarded(r *http.Request, name string) string {
	if !g.trusted(peer(r)) {
		return ""
	}
	v := forwarded(r.Header, name)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// IsSecure reports whether the client reached Quire over HTTPS: the
// connection is TLS, or a trusted proxy says X-Forwarded-Proto: https.
func (g *Guard) IsSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return strings.EqualFold(g.lastForwarded(r, "X-Forwarded-Proto"), "https")
}

// ownOrigin is the origin the browser used to reach this request: scheme
// from IsSecure, host from a trusted proxy's X-Forwarded-Host or the Host
// header.
func (g *Guard) ownOrigin(r *http.Request) string {
	host := g.lastForwarded(r, "X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
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

// isUnix reports whether r arrived on a Unix-domain socket listener.
func isUnix(r *http.Request) bool {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return ok && a != nil && strings.HasPrefix(a.Network(), "unix")
}
