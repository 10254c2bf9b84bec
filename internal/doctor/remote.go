package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Target is a running deployment to check from the outside.
type Target struct {
	// URL is what users open: scheme, host, optional port and the base
	// path ("https://nb.example.org/jupyter/").
	URL string
	// Token authenticates the checks that need it (the WebSocket); ""
	// skips them. It is sent only in an Authorization header, only over
	// a verified TLS connection or to this machine, and never printed.
	Token string
	// Password, when there is no token, is used to log in as the login
	// form does, under the same rules, for the same checks.
	Password string
	// Roots are the CAs trusted for TLS; nil = the system's.
	Roots *x509.CertPool
	// HTTPURL is where the plain-HTTP redirect is checked; "" =
	// http://host/ (port 80).
	HTTPURL string
	// Timeout bounds each request (default 10s); the WebSocket check,
	// which starts a kernel, gets three times as long.
	Timeout time.Duration
	Now     func() time.Time
}

// Fixes for the common reverse-proxy mistakes, named by what is missing.
const (
	fixUpgrade = `Let the proxy pass the WebSocket upgrade (Upgrade and Connection are hop-by-hop headers it drops unless told):
  nginx:   proxy_http_version 1.1;
           proxy_set_header Upgrade $http_upgrade;
           proxy_set_header Connection "upgrade";
  Apache:  ProxyPass /BASE http://127.0.0.1:8888/BASE upgrade=websocket   (2.4.47+, mod_proxy_http;
           older: mod_proxy_wstunnel and a RewriteRule for Upgrade: websocket)
  Caddy:   reverse_proxy passes WebSockets by itself: remove any header_up Connection/Upgrade override
  HAProxy: use "mode http" with "timeout tunnel 1h" (the upgrade passes by itself)`
	fixForwarded = `Tell Quire which proxy to believe and have the proxy say how the browser reached it:
  Quire:   --trusted-proxy 127.0.0.1   (the proxy's address as Quire sees it)
  nginx:   proxy_set_header Host $host;
           proxy_set_header X-Forwarded-Proto $scheme;
           proxy_set_header X-Forwarded-Host $host;
  Apache:  ProxyPreserveHost On
           RequestHeader set X-Forwarded-Proto https
  Caddy:   reverse_proxy sets X-Forwarded-Proto and Host by itself (trusted_proxies if Caddy is behind another proxy)`
	fixBase = `Serve Quire under the same path the browser uses, and pass the path through unchanged:
  Quire:   --base-url BASE
  nginx:   location BASE { proxy_pass http://127.0.0.1:8888; }   (no path after the port: nginx then keeps the URI)
  Apache:  ProxyPass BASE http://127.0.0.1:8888BASE
           ProxyPassReverse BASE http://127.0.0.1:8888BASE
  Caddy:   handle BASE* { reverse_proxy 127.0.0.1:8888 }   (handle, not handle_path, which strips the prefix)`
	fixHSTS = `Send Strict-Transport-Security on HTTPS responses:
  Quire sends it itself when it serves TLS with a given or ACME certificate (--hsts-max-age, default one year),
  with --tls self-signed only when --hsts-max-age is given, and behind a proxy when a --trusted-proxy
  says X-Forwarded-Proto: https (see the proxy's X-Forwarded-Proto above);
  or at the proxy:
  nginx:   add_header Strict-Transport-Security "max-age=31536000" always;
  Apache:  Header always set Strict-Transport-Security "max-age=31536000"`
	fixHTTPRedirect = `Redirect plain HTTP to HTTPS at the proxy:
  nginx:   server { listen 80; server_name HOST; return 301 https://$host$request_uri; }
  Apache:  <VirtualHost *:80> ServerName HOST
             Redirect permanent / https://HOST/
           </VirtualHost>
  Caddy:   does this by itself for a site address without http://`
)

// remote carries one run's state.
type remote struct {
	t        Target
	u        *url.URL
	base     string // path, "/" or "/x/"
	origin   string // scheme://host[:port]
	client   *http.Client
	verified bool // TLS verified (or plain HTTP)
	now      func() time.Time
	r        *Report
}

// Remote checks the deployment at t.URL as a browser would.
func Remote(ctx context.Context, t Target) *Report {
	if t.Timeout <= 0 {
		t.Timeout = 10 * time.Second
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	rm := &remote{t: t, now: t.Now, r: &Report{}}
	rm.run(ctx)
	return rm.r
}

func (rm *remote) add(f ...Finding) { rm.r.add(f...) }

func (rm *remote) run(ctx context.Context) {
	u, err := url.Parse(rm.t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown, _, _ := strings.Cut(rm.t.URL, "?") // a query may hold a token
		rm.r.Target = shown
		rm.add(Finding{ID: "url", Level: Error, Title: "not an http(s) URL: " + shown,
			Fix: "Give the URL users open, e.g. quire doctor https://nb.example.org/"})
		return
	}
	// The URL Quire prints carries ?token=: take it, and never show it.
	if t := u.Query().Get("token"); t != "" && rm.t.Token == "" {
		rm.t.Token = t
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	rm.u = u
	rm.base = "/" + strings.Trim(u.EscapedPath(), "/") + "/"
	if rm.base == "//" {
		rm.base = "/"
	}
	rm.origin = u.Scheme + "://" + u.Host
	rm.r.Target = rm.origin + rm.base

	if !rm.dns(ctx) {
		return
	}
	tlsConf := &tls.Config{RootCAs: rm.t.Roots, ServerName: u.Hostname()}
	rm.verified = true
	if u.Scheme == "https" {
		ok, verified := rm.tls(ctx)
		if !ok {
			return
		}
		rm.verified = verified
		tlsConf.InsecureSkipVerify = !verified // the remaining checks still say what they can
	}
	rm.client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: tlsConf, Proxy: nil, DisableKeepAlives: true},
		Timeout:   rm.t.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if !rm.api(ctx) {
		return
	}
	if u.Scheme == "https" {
		rm.httpRedirect(ctx)
	} else if !hostIsLoopback(u.Hostname()) {
		rm.add(Finding{ID: "http.plain", Level: Error, Title: "served over plain HTTP across the network",
			Detail: "The token, password, cookies and notebooks cross the network in clear text.",
			Fix:    "Serve HTTPS: put a TLS reverse proxy in front, or start Quire with --tls self-signed or --certfile/--keyfile, and use the https:// URL."})
	}
	rm.authRequired(ctx)
	rm.loginRedirect(ctx)
	rm.originCheck(ctx)
	rm.websocket(ctx)
}

func hostIsLoopback(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (rm *remote) dns(ctx context.Context) bool {
	h := rm.u.Hostname()
	if net.ParseIP(h) != nil {
		rm.add(Finding{ID: "dns", Level: OK, Title: "address " + h + " (no DNS lookup)"})
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, rm.t.Timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, h)
	if err != nil || len(addrs) == 0 {
		rm.add(Finding{ID: "dns", Level: Error, Title: "cannot resolve " + h, Detail: fmt.Sprint(err),
			Fix: "Check the name, or add an A/AAAA record for it (dig " + h + ")."})
		return false
	}
	var s []string
	for _, a := range addrs {
		s = append(s, a.IP.String())
	}
	rm.add(Finding{ID: "dns", Level: OK, Title: h + " resolves to " + strings.Join(s, ", ")})
	return true
}

func (rm *remote) hostport() string {
	if rm.u.Port() != "" {
		return rm.u.Host
	}
	if rm.u.Scheme == "https" {
		return net.JoinHostPort(rm.u.Hostname(), "443")
	}
	return net.JoinHostPort(rm.u.Hostname(), "80")
}

// tls checks the handshake and the certificate. ok is false when no TLS
// connection can be made at all; verified tells whether the certificate
// was trusted for the name.
func (rm *remote) tls(ctx context.Context) (ok, verified bool) {
	host := rm.u.Hostname()
	dial := func(insecure bool) (tls.ConnectionState, error) {
		d := tls.Dialer{Config: &tls.Config{RootCAs: rm.t.Roots, ServerName: host, InsecureSkipVerify: insecure}}
		dctx, cancel := context.WithTimeout(ctx, rm.t.Timeout)
		defer cancel()
		c, err := d.DialContext(dctx, "tcp", rm.hostport())
		if err != nil {
			return tls.ConnectionState{}, err
		}
		defer c.Close()
		return c.(*tls.Conn).ConnectionState(), nil
	}
	st, err := dial(false)
	verified = err == nil
	if err != nil {
		var certErr *tls.CertificateVerificationError
		if !errors.As(err, &certErr) {
			rm.add(Finding{ID: "tls.handshake", Level: Error, Title: "no TLS connection to " + rm.hostport(), Detail: err.Error(),
				Fix: "Check that the server (or proxy) listens there with TLS; for plain HTTP use an http:// URL."})
			return false, false
		}
		if st, err = dial(true); err != nil {
			rm.add(Finding{ID: "tls.handshake", Level: Error, Title: "no TLS connection to " + rm.hostport(), Detail: err.Error()})
			return false, false
		}
	}
	switch v := st.Version; {
	case v < tls.VersionTLS12:
		rm.add(Finding{ID: "tls.version", Level: Error, Title: "TLS version " + tls.VersionName(v) + " is obsolete",
			Detail: "Browsers refuse TLS below 1.2.",
			Fix:    "Allow TLS 1.2 and 1.3 only: nginx ssl_protocols TLSv1.2 TLSv1.3; Apache SSLProtocol -all +TLSv1.2 +TLSv1.3"})
	default:
		rm.add(Finding{ID: "tls.version", Level: OK, Title: "TLS " + strings.TrimPrefix(tls.VersionName(v), "TLS ") + " negotiated"})
	}
	rm.add(certFindings(certCheck{id: "tls", chain: st.PeerCertificates, names: []string{host}, roots: rm.t.Roots, now: rm.now(),
		source: "the server", renew: "on the proxy or server that terminates TLS, then reload it"})...)
	return true, verified
}

// response is what the checks keep of an answer: status, headers, and the
// start of the body.
type response struct {
	status int
	header http.Header
	body   string
	sent   time.Time // when the request went out
	took   time.Duration
}

// get requests path (relative to the base, or absolute from "/") without
// credentials unless hdr carries them.
func (rm *remote) do(ctx context.Context, method, rawURL string, hdr http.Header, body io.Reader) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := rm.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return &response{status: resp.StatusCode, header: resp.Header, body: string(b), sent: start, took: time.Since(start)}, nil
}

func (rm *remote) at(p string) string { return rm.origin + rm.base + p }

// refusal recognises Quire's (and jupyter_server's) refusals of a Host or
// an Origin in a 403 body, and turns one into a finding.
func (rm *remote) refusal(id string, resp *response) (Finding, bool) {
	if resp.status != http.StatusForbidden {
		return Finding{}, false
	}
	var e struct{ Message string }
	_ = json.Unmarshal([]byte(resp.body), &e)
	switch {
	case strings.HasPrefix(e.Message, "Host '"):
		return Finding{ID: id, Level: Error, Title: "the server refuses the Host header the proxy sends",
			Detail: "Answer: " + e.Message + "\nQuire bound to 127.0.0.1 accepts only local names unless told (DNS-rebinding defence).",
			Fix:    "Start Quire with --allow-host " + rm.u.Hostname() + ", keeping the proxy's proxy_set_header Host $host (nginx) / ProxyPreserveHost On (Apache)."}, true
	case strings.HasPrefix(e.Message, "Origin '"):
		return Finding{ID: id, Level: Error, Title: "the server refuses requests from its own page's origin " + rm.origin,
			Detail: "Answer: " + e.Message + "\nThe server believes it is reached at another scheme or host than the browser uses (a TLS proxy that does not say X-Forwarded-Proto: https, or a Host it rewrites), so it takes the browser's own requests for cross-site ones: saving and every kernel WebSocket fail.",
			Fix:    fixForwarded}, true
	}
	return Finding{}, false
}

// api checks that a Jupyter server answers at the base URL (GET {base}api
// needs no credentials), and from its answer the clock and HSTS.
func (rm *remote) api(ctx context.Context) bool {
	resp, err := rm.do(ctx, "GET", rm.at("api"), nil, nil)
	if err != nil {
		rm.add(Finding{ID: "server.reachable", Level: Error, Title: "no answer from " + rm.at("api"), Detail: err.Error(),
			Fix: "Check that the proxy is up and reaches Quire (curl -v " + rm.at("api") + ")."})
		return false
	}
	if f, ok := rm.refusal("proxy.allow-host", resp); ok {
		rm.add(f)
		return false
	}
	var v struct{ Version string }
	switch {
	case resp.status == http.StatusOK && json.Unmarshal([]byte(resp.body), &v) == nil && v.Version != "":
		rm.add(Finding{ID: "server.reachable", Level: OK, Title: "Jupyter API " + v.Version + " answers at " + rm.at("api")})
	case resp.status >= 300 && resp.status < 400 && loginBase(resp.header.Get("Location")) != "" && loginBase(resp.header.Get("Location")) != rm.base:
		// Quire sends a path outside its base URL to its login page.
		other := loginBase(resp.header.Get("Location"))
		rm.add(Finding{ID: "server.reachable", Level: Error, Title: fmt.Sprintf("no Jupyter server at %s: the server's base URL seems to be %s, not %s", rm.at("api"), other, rm.base),
			Detail: "GET " + rm.at("api") + " redirects to " + resp.header.Get("Location") + ": the login page of a server under " + other + ".",
			Fix:    "Open " + rm.origin + other + " instead, or make the paths agree:\n" + strings.ReplaceAll(fixBase, "BASE", rm.base)})
		return false
	case resp.status >= 300 && resp.status < 400:
		rm.add(Finding{ID: "server.reachable", Level: Error, Title: fmt.Sprintf("%s redirects (%d) to %s", rm.at("api"), resp.status, resp.header.Get("Location")),
			Detail: "Quire answers {base}api without credentials. A redirect here comes from something in front (a login proxy, a path rewrite), or the base URL is wrong.",
			Fix:    "Exempt " + rm.base + "api* from the proxy's own login, or check the base URL:\n" + strings.ReplaceAll(fixBase, "BASE", rm.base)})
		return false
	default:
		rm.add(Finding{ID: "server.reachable", Level: Error, Title: fmt.Sprintf("no Jupyter server at %s (HTTP %d)", rm.at("api"), resp.status),
			Detail: "Either the URL's path is not Quire's --base-url, or the proxy rewrites the path on the way.",
			Fix:    strings.ReplaceAll(fixBase, "BASE", rm.base)})
		return false
	}
	rm.clock(resp)
	if rm.u.Scheme == "https" {
		rm.hsts(resp)
	}
	return true
}

// loginBase is the base path of a redirect to a login page
// ("/x/login?next=…" → "/x/"), or "".
func loginBase(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	if b, ok := strings.CutSuffix(u.Path, "/login"); ok {
		return b + "/"
	}
	return ""
}

// clock compares the server's Date with this machine's clock.
func (rm *remote) clock(resp *response) {
	d, err := http.ParseTime(resp.header.Get("Date"))
	if err != nil {
		rm.add(Finding{ID: "clock", Level: Skip, Title: "no Date header: clock skew not checked"})
		return
	}
	mid := resp.sent.Add(resp.took / 2)
	skew := d.Sub(mid)
	abs := max(skew, -skew)
	if abs >= time.Minute { // Date has whole seconds: say minutes
		skew = skew.Round(time.Minute)
	} else {
		skew = skew.Round(time.Second)
	}
	switch {
	case abs <= time.Minute:
		rm.add(Finding{ID: "clock", Level: OK, Title: "server clock agrees with this machine's (within a minute)"})
	default:
		lvl := Warn
		if abs > 10*time.Minute {
			lvl = Error
		}
		rm.add(Finding{ID: "clock", Level: lvl, Title: fmt.Sprintf("server clock is off by %s from this machine's", skew),
			Detail: "Certificates look expired or not yet valid, cookies expire early or late, and timestamps in notebooks and logs disagree.",
			Fix:    "Synchronise the clocks (timedatectl set-ntp true, or chrony) on the server and on this machine."})
	}
}

func (rm *remote) hsts(resp *response) {
	v := resp.header.Get("Strict-Transport-Security")
	if v == "" {
		rm.add(Finding{ID: "hsts", Level: Warn, Title: "no Strict-Transport-Security header",
			Detail: "Without HSTS a browser that once typed the bare name can be sent to a plain-HTTP impostor. Quire sends it over TLS; its absence behind a proxy usually means Quire does not know the browser used HTTPS.",
			Fix:    fixHSTS})
		return
	}
	rm.add(Finding{ID: "hsts", Level: OK, Title: "HSTS: " + v})
}

// httpRedirect checks that http:// of the same host sends browsers to
// https://.
func (rm *remote) httpRedirect(ctx context.Context) {
	plain := rm.t.HTTPURL
	if port := rm.u.Port(); plain == "" && port != "" && port != "443" {
		rm.add(Finding{ID: "http.redirect", Level: Skip, Title: "redirect from http:// not checked: the URL has port " + port + ", which users reach by the full https:// URL",
			Fix: "Nothing to do unless users type the bare name; then serve https on 443 and redirect port 80 to it."})
		return
	}
	if plain == "" {
		plain = "http://" + bracket(rm.u.Hostname()) + rm.base
	}
	fix := strings.ReplaceAll(fixHTTPRedirect, "HOST", rm.u.Hostname())
	resp, err := rm.do(ctx, "GET", plain, nil, nil)
	if err != nil {
		rm.add(Finding{ID: "http.redirect", Level: Warn, Title: "nothing answers at " + plain,
			Detail: "Users who type the bare name get an error instead of the HTTPS site (" + err.Error() + ").",
			Fix:    fix})
		return
	}
	loc := resp.header.Get("Location")
	if resp.status >= 300 && resp.status < 400 {
		to, err := url.Parse(loc)
		if err == nil {
			pu, _ := url.Parse(plain)
			to = pu.ResolveReference(to)
		}
		switch {
		case err == nil && to.Scheme == "https" && strings.EqualFold(to.Hostname(), rm.u.Hostname()):
			rm.add(Finding{ID: "http.redirect", Level: OK, Title: fmt.Sprintf("%s redirects to HTTPS (%d)", plain, resp.status)})
			return
		case err == nil && to.Scheme == "http":
			// A redirect within plain HTTP (to a login page): served there.
		default:
			rm.add(Finding{ID: "http.redirect", Level: Error, Title: fmt.Sprintf("%s redirects to %s, not to https://%s", plain, loc, rm.u.Hostname()), Fix: fix})
			return
		}
	}
	rm.add(Finding{ID: "http.redirect", Level: Error, Title: fmt.Sprintf("%s answers over plain HTTP (%d) instead of redirecting to HTTPS", plain, resp.status),
		Detail: "Whatever is served there crosses the network in clear text, logins included.", Fix: fix})
}

func bracket(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// authRequired checks that the API refuses requests without credentials.
func (rm *remote) authRequired(ctx context.Context) {
	var open []string
	for _, p := range []string{"api/contents", "api/kernels", "api/sessions", "api/terminals"} {
		resp, err := rm.do(ctx, "GET", rm.at(p), nil, nil)
		if err != nil {
			rm.add(Finding{ID: "auth.api:" + p, Level: Warn, Title: "no answer from " + rm.at(p), Detail: err.Error()})
			continue
		}
		switch {
		case resp.status == http.StatusUnauthorized, resp.status == http.StatusForbidden,
			resp.status >= 300 && resp.status < 400 && strings.Contains(resp.header.Get("Location"), "login"),
			resp.status == http.StatusNotFound && p == "api/terminals":
		case resp.status >= 200 && resp.status < 300:
			open = append(open, p)
			rm.add(Finding{ID: "auth.api:" + p, Level: Error, Title: rm.at(p) + " answers without credentials",
				Detail: "Anyone who can reach the URL can read files and run code.",
				Fix:    "Start Quire with a token or password (drop --token ''; quire password --write), or put an authenticating proxy in front."})
		default:
			rm.add(Finding{ID: "auth.api:" + p, Level: Warn, Title: fmt.Sprintf("%s answers %d without credentials (expected 401, 403 or a redirect to login)", rm.at(p), resp.status)})
		}
	}
	if len(open) == 0 {
		rm.add(Finding{ID: "auth.api", Level: OK, Title: "the API asks for credentials (contents, kernels, sessions, terminals)"})
	}
}

// loginRedirect checks that a UI page redirects to the login page at the
// URL's own scheme, host and base path: the usual sign of a proxy whose
// X-Forwarded-* headers Quire does not get or believe, or a path rewrite.
func (rm *remote) loginRedirect(ctx context.Context) {
	page := rm.at("tree")
	resp, err := rm.do(ctx, "GET", page, http.Header{"Accept": {"text/html"}}, nil)
	if err != nil {
		rm.add(Finding{ID: "auth.page", Level: Warn, Title: "no answer from " + page, Detail: err.Error()})
		return
	}
	if resp.status >= 200 && resp.status < 300 {
		rm.add(Finding{ID: "auth.page", Level: Error, Title: page + " is served without logging in",
			Fix: "Start Quire with a token or password, or put an authenticating proxy in front."})
		return
	}
	if resp.status < 300 || resp.status >= 400 {
		rm.add(Finding{ID: "auth.page", Level: Warn, Title: fmt.Sprintf("%s answers %d without credentials (expected a redirect to the login page)", page, resp.status)})
		return
	}
	raw := resp.header.Get("Location")
	loc, err := url.Parse(raw)
	if err != nil {
		rm.add(Finding{ID: "auth.page", Level: Error, Title: "unreadable redirect from " + page + ": " + raw})
		return
	}
	abs := rm.u.ResolveReference(loc)
	switch {
	case abs.Scheme != rm.u.Scheme:
		rm.add(Finding{ID: "proxy.scheme", Level: Error,
			Title:  fmt.Sprintf("the server redirects to %s:// although the browser uses %s://", abs.Scheme, rm.u.Scheme),
			Detail: "Redirect from " + page + ": Location: " + raw + "\nThe server does not know it is reached over HTTPS: the proxy does not send X-Forwarded-Proto, or the server does not believe it. Logins bounce to plain HTTP; cookies and Origin checks go wrong.",
			Fix:    fixForwarded})
	case !strings.EqualFold(abs.Host, rm.u.Host):
		rm.add(Finding{ID: "proxy.host", Level: Error,
			Title:  fmt.Sprintf("the server redirects to host %s although the browser uses %s", abs.Host, rm.u.Host),
			Detail: "Redirect from " + page + ": Location: " + raw + "\nThe proxy rewrites the Host header (nginx's default is the upstream's address) and does not send X-Forwarded-Host, or the server does not believe it.",
			Fix:    fixForwarded})
	case !strings.HasPrefix(abs.Path, rm.base):
		rm.add(Finding{ID: "proxy.base-url", Level: Error,
			Title:  fmt.Sprintf("the server redirects to %s, outside the base path %s", abs.Path, rm.base),
			Detail: "Redirect from " + page + ": Location: " + raw + "\nThe proxy strips the path prefix, so the server builds links without it.",
			Fix:    strings.ReplaceAll(fixBase, "BASE", rm.base)})
	case !strings.HasPrefix(abs.Path, rm.base+"login"):
		rm.add(Finding{ID: "auth.page", Level: Warn, Title: "the UI redirects to " + abs.Path + ", not to " + rm.base + "login",
			Detail: "An authenticating proxy in front, perhaps; the checks of the server's own login do not apply."})
	default:
		rm.add(Finding{ID: "auth.page", Level: OK, Title: "the UI redirects to the login page at the URL's scheme, host and base path"})
	}
}

// originCheck sends what a browser sends with the page's own requests
// (Origin: the URL's origin) to a page that needs no credentials; a server
// that takes it for a cross-site request has the wrong idea of its own URL.
func (rm *remote) originCheck(ctx context.Context) {
	resp, err := rm.do(ctx, "GET", rm.at("login"), http.Header{"Origin": {rm.origin}}, nil)
	if err != nil {
		rm.add(Finding{ID: "proxy.origin", Level: Warn, Title: "no answer from " + rm.at("login"), Detail: err.Error()})
		return
	}
	if f, ok := rm.refusal("proxy.origin", resp); ok {
		rm.add(f)
		return
	}
	rm.add(Finding{ID: "proxy.origin", Level: OK, Title: "requests with Origin " + rm.origin + " are accepted as the server's own"})
}
