//go:build integration

// The advisory regression suite: one test (or one table row) per advisory
// of a notebook server that can apply to Quire's HTTP surface, run against
// the real binary. docs/security.md maps every advisory to its test.
package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

// rawSend writes req (a full HTTP/1.1 request head, "\r\n" line ends,
// without the final blank line) plus body to the server unmodified, and
// returns status, headers and body of the answer.
func rawSend(t *testing.T, in *instance, head string, body []byte) (int, http.Header, string) {
	t.Helper()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", in.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", head, in.Port, len(body))
	conn.Write(body)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var buf bytes.Buffer
	buf.ReadFrom(conn)
	resp := buf.String()
	headPart, bodyPart, _ := strings.Cut(resp, "\r\n\r\n")
	lines := strings.Split(headPart, "\r\n")
	var code int
	fmt.Sscanf(lines[0], "HTTP/1.1 %d", &code)
	h := http.Header{}
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ":"); ok {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return code, h, bodyPart
}

// passwordLogin starts a server with the sha1 test password and returns it
// with a logged-in client (cookie jar holding the login cookie and _xsrf).
func passwordLogin(t *testing.T, o opts) (*instance, *http.Client) {
	t.Helper()
	o.args = append(o.args, "--password-hash", sha1Vector)
	in := startQuire(t, o)
	c := in.client()
	if !loginWithPassword(t, in, c, "mypassword") {
		t.Fatal("login with the test password failed")
	}
	return in, c
}

// loginCookie returns the login cookie of the jar ("username-…").
func loginCookie(t *testing.T, in *instance, c *http.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(in.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, "username-") {
			return ck
		}
	}
	t.Fatal("no login cookie in the jar")
	return nil
}

// ownOrigin is the server's origin as a browser on its page sends it.
func ownOrigin(in *instance) string {
	u, _ := url.Parse(in.URL)
	return u.Scheme + "://" + u.Host
}

// staysLocal reports whether a Location keeps the browser on this server
// under base: a path (no scheme, no host, no leading "//" or "/\") that
// starts with base.
func staysLocal(loc, base string) bool {
	if loc == "" {
		return true
	}
	if strings.ContainsAny(loc, "\\\t\r\n") || strings.HasPrefix(loc, "//") {
		return false
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return false
	}
	return strings.HasPrefix(loc, base)
}

// TestCVE_2014_3429_CrossOriginKernelWebSocket covers cross-site WebSocket
// hijacking: IPython < 1.2 (CVE-2014-3429), code-server
// (GHSA-frjg-g767-7363) and jupyter_server 2.18.0 (#1630) let a page on
// another origin open the kernel channels with the user's cookie. The
// upgrade must be refused (403, before any 101) for every foreign or
// look-alike Origin, with the login cookie and without credentials; a
// same-origin cookie upgrade is the control that must work.
// TestChannelHandshake covers the plain evil-origin and no-credential cases.
func TestCVE_2014_3429_CrossOriginKernelWebSocket(t *testing.T) {
	needIPyKernel(t)
	in, c := passwordLogin(t, opts{})
	c2 := in.client() // no credentials
	r := in.req("POST", "api/kernels", jsonBody(t, map[string]string{"name": "python3"}))
	r.Header.Set("X-XSRFToken", cookieValue(c, in, "_xsrf"))
	status, body, _ := send(t, c, r)
	if status != 201 {
		t.Fatalf("start kernel with cookie + XSRF: %d %s", status, body)
	}
	var k kernelModel
	decode(t, "kernel", body, &k)
	kernelPID(t, in, k.ID)

	w, resp, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{client: c, header: http.Header{"Origin": {ownOrigin(in)}}})
	if err != nil {
		t.Fatalf("control: same-origin cookie upgrade failed: %v (%v)", err, resp)
	}
	w.close()

	port := strconv.Itoa(in.Port)
	for _, tc := range []struct {
		name   string
		header http.Header
		client *http.Client
	}{
		{"evil origin with cookie", http.Header{"Origin": {"https://evil.example"}}, c},
		{"evil origin without credentials", http.Header{"Origin": {"https://evil.example"}}, c2},
		{"null origin (sandboxed frame, file:)", http.Header{"Origin": {"null"}}, c},
		{"same host other port", http.Header{"Origin": {"http://127.0.0.1:" + strconv.Itoa(in.Port+1)}}, c},
		{"same host https", http.Header{"Origin": {"https://127.0.0.1:" + port}}, c},
		{"localhost name is another origin", http.Header{"Origin": {"http://localhost.evil.example:" + port}}, c},
		{"own origin as prefix", http.Header{"Origin": {ownOrigin(in) + ".evil.example"}}, c},
		{"hybi Sec-WebSocket-Origin", http.Header{"Sec-WebSocket-Origin": {"https://evil.example"}}, c},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, resp, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{client: tc.client, header: tc.header})
			if err == nil {
				w.close()
				t.Fatalf("cross-origin upgrade accepted (%d)", resp.StatusCode)
			}
			if resp == nil || resp.StatusCode != 403 {
				t.Fatalf("cross-origin upgrade: %v; want HTTP 403", err)
			}
		})
	}
}

// TestCVE_2024_28179_EveryWebSocketRouteNeedsAuth covers
// jupyter-server-proxy CVE-2024-28179 (WebSocket proxying skipped
// authentication, giving unauthenticated RCE) and marimo
// GHSA-2679-6mx9-h9xc (unauthenticated terminal WebSocket). Every
// WebSocket route Quire has (today the kernel channels), and every path
// where other servers put one (terminals, events, proxies, collaboration,
// LSP), must refuse an upgrade without credentials with 403 and no 101,
// same-origin or not. Add each new WebSocket route to wsRoutes.
func TestCVE_2024_28179_EveryWebSocketRouteNeedsAuth(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	wsRoutes := []string{
		"api/kernels/" + k.ID + "/channels",
		"api/kernels/" + k.ID + "/channels?session_id=" + wire.NewID(),
		"api/kernels/" + k.ID + "/channels?token=",
		"api/kernels/" + k.ID + "/channels?token=wrong",
		"api/kernels/" + wire.NewID() + "/channels",
		"api/terminals/websocket/1",
		"terminals/websocket/1",
		"api/events/subscribe",
		"proxy/8888/",
		"proxy/absolute/8888/",
		"api/collaboration/room/x",
		"api/yjs/x",
		"lsp/ws/pylsp",
		"terminal/ws",
	}
	for _, p := range wsRoutes {
		for _, origin := range []string{"", ownOrigin(in)} {
			head := "GET /" + p + " HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
			if origin != "" {
				head += "\r\nOrigin: " + origin
			}
			status, h, body := rawSend(t, in, head, nil)
			if status != 403 || h.Get("Sec-WebSocket-Accept") != "" {
				t.Errorf("unauthenticated upgrade of /%s (Origin %q): %d %q; want 403 and no upgrade", p, origin, status, body)
			}
		}
	}
	// Control: the same upgrade with the token is accepted.
	w, resp, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{token: true})
	if err != nil {
		t.Fatalf("control: upgrade with the token: %v (%v)", err, resp)
	}
	w.close()
}

// TestAdvisories_CSRF covers cross-site request forgery of state-changing
// API calls by a cookie-authenticated browser: IPython CVE-2015-5607 (the
// REST API had no XSRF check), JupyterHub CVE-2020-36191 (admin API CSRF)
// and JupyterHub CVE-2026-40864 (the XSRF check was skipped for
// "Sec-Fetch-Mode: no-cors"). Each call is sent with the login cookie and
// without, or with a wrong, XSRF token, under the Fetch Metadata headers a
// browser would add; every one must be refused (403) and change nothing.
func TestAdvisories_CSRF(t *testing.T) {
	in, c := passwordLogin(t, opts{})
	os.WriteFile(filepath.Join(in.Root, "keep.txt"), []byte("keep"), 0o644)
	os.WriteFile(filepath.Join(in.Root, "nb.ipynb"), []byte(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`), 0o644)
	xsrf := cookieValue(c, in, "_xsrf")
	type call struct{ method, path, ctype, body string }
	calls := []call{
		{"POST", "api/contents", "application/json", `{"type":"file"}`},
		{"POST", "api/contents", "text/plain", `{"type":"directory"}`},
		{"POST", "api/contents", "application/x-www-form-urlencoded", `type=file`},
		{"PUT", "api/contents/new.txt", "application/json", `{"type":"file","format":"text","content":"x"}`},
		{"PATCH", "api/contents/keep.txt", "application/json", `{"path":"moved.txt"}`},
		{"DELETE", "api/contents/keep.txt", "", ""},
		{"POST", "api/contents/keep.txt/checkpoints", "", ""},
		{"POST", "api/contents/nb.ipynb/trust", "", ""},
		{"POST", "api/kernels", "application/json", `{"name":"python3"}`},
		{"POST", "api/sessions", "application/json", `{"path":"nb.ipynb","type":"notebook","kernel":{"name":"python3"}}`},
		{"POST", "api/shutdown", "", ""},
	}
	type variant struct {
		id      string
		headers map[string]string
		query   string
	}
	variants := []variant{
		{"CVE-2015-5607 no token", map[string]string{"Origin": ownOrigin(in)}, ""},
		{"CVE-2015-5607 wrong header", map[string]string{"X-XSRFToken": xsrf + "x"}, ""},
		{"CVE-2015-5607 wrong query", nil, "?_xsrf=" + url.QueryEscape(xsrf+"x")},
		{"CVE-2020-36191 cross-site form", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, ""},
		{"CVE-2026-40864 no-cors cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, ""},
		{"CVE-2026-40864 no-cors same-origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors"}, ""},
		{"CVE-2026-40864 no-cors no site", map[string]string{"Sec-Fetch-Mode": "no-cors"}, ""},
		{"CVE-2026-40864 cors same-origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Origin": ownOrigin(in)}, ""},
	}
	for _, v := range variants {
		for _, cl := range calls {
			var body *strings.Reader
			if cl.body != "" {
				body = strings.NewReader(cl.body)
			} else {
				body = strings.NewReader("")
			}
			r := in.req(cl.method, cl.path+v.query, body)
			if cl.ctype != "" {
				r.Header.Set("Content-Type", cl.ctype)
			}
			for k, val := range v.headers {
				r.Header.Set(k, val)
			}
			status, b, _ := send(t, c, r)
			if status != 403 {
				t.Errorf("%s: %s %s with cookie and no valid XSRF: %d %s; want 403", v.id, cl.method, cl.path, status, b)
			}
		}
	}
	// Nothing changed, and the server is still up.
	if data, err := os.ReadFile(filepath.Join(in.Root, "keep.txt")); err != nil || string(data) != "keep" {
		t.Errorf("keep.txt changed: %q %v", data, err)
	}
	entries, _ := os.ReadDir(in.Root)
	if len(entries) != 2 {
		t.Errorf("the root changed: %d entries", len(entries))
	}
	r := in.req("GET", "api/kernels", nil)
	if status, b, _ := send(t, c, r); status != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("kernels after the forgeries: %d %s", status, b)
	}
	// Control: with the right token the same cookie client may write.
	r = in.req("PUT", "api/contents/ok.txt", strings.NewReader(`{"type":"file","format":"text","content":"x"}`))
	r.Header.Set("X-XSRFToken", xsrf)
	r.Header.Set("Sec-Fetch-Mode", "no-cors")
	if status, b, _ := send(t, c, r); status != 201 {
		t.Errorf("control: PUT with the XSRF token: %d %s", status, b)
	}
}

// TestCVE_2015_4706_JSONErrorsNotHTML covers CVE-2015-4706 and
// CVE-2015-4707: error messages of /api/contents and /api/notebooks were
// reflected as HTML. Every API error must be JSON with nosniff and a
// script-free CSP, and must not carry the request's markup verbatim.
func TestCVE_2015_4706_JSONErrorsNotHTML(t *testing.T) {
	in := startQuire(t, opts{})
	const x = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
	for _, tc := range []struct{ method, target, body string }{
		{"GET", "/api/contents/" + x + ".txt", ""},
		{"GET", "/api/contents/" + x + "/" + x, ""},
		{"GET", "/api/contents/" + x + "?type=" + x, ""},
		{"GET", "/api/contents/" + x + "/checkpoints", ""},
		{"PUT", "/api/contents/a.txt", `{"type":"` + "<script>alert(1)</script>" + `"}`},
		{"PUT", "/api/contents/a.ipynb", `{"type":"notebook","content":"<script>alert(1)</script>"}`},
		{"PATCH", "/api/contents/" + x, `{"path":"<script>alert(1)</script>"}`},
		{"POST", "/api/contents", `<script>alert(1)</script>`},
		{"GET", "/api/notebooks/" + x, ""},
		{"GET", "/api/kernels/" + x, ""},
		{"POST", "/api/kernels", `{"name":"<script>alert(1)</script>"}`},
		{"GET", "/api/sessions/" + x, ""},
		{"POST", "/api/sessions", `{"path":"<script>alert(1)</script>","type":"<img src=x onerror=alert(1)>","kernel":{"name":"<script>"}}`},
		{"GET", "/api/kernelspecs/" + x, ""},
		{"GET", "/api/" + x, ""},
		{"DELETE", "/api/status", ""},
	} {
		status, h, body := rawSend(t, in, tc.method+" "+tc.target+" HTTP/1.1\r\nAuthorization: token "+in.Token+"\r\nContent-Type: application/json", []byte(tc.body))
		where := tc.method + " " + tc.target
		if status >= 300 && status < 400 {
			if !staysLocal(h.Get("Location"), "/") || strings.Contains(h.Get("Location"), "<") {
				t.Errorf("%s: redirect to %q", where, h.Get("Location"))
			}
			continue
		}
		if status < 400 && !strings.Contains(tc.target, "checkpoints") && tc.method != "PUT" {
			t.Errorf("%s: %d, want an error", where, status)
		}
		// The markup may come back inside a JSON string; what makes it
		// inert is the type: JSON (never HTML), nosniff, and a CSP that
		// loads and runs nothing should a browser render it anyway.
		ct := h.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: %d with Content-Type %q, want application/json", where, status, ct)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", where)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q lets the error page load things", where, csp)
		}
		if status >= 400 && messageOf([]byte(body)) == "" {
			t.Errorf("%s: %d body is not a JSON error: %s", where, status, body)
		}
		if low := strings.ToLower(body); strings.Contains(low, "<html") || strings.Contains(low, "<!doctype") {
			t.Errorf("%s: %d body is an HTML page: %s", where, status, body)
		}
	}
}

// TestAdvisories_FilesNotActiveContent covers user files served by /files/
// running script in Quire's origin: CVE-2015-7337 (a crafted file served
// with an attacker-chosen MIME type), CVE-2018-21030 (no CSP on /files/, so
// SVG carried XSS) and CVE-2023-40170 / CVE-2019-9644 (XSSI: files and JSON
// includable as <script> by other sites). Every active file type gets the
// sandbox CSP, nosniff and Cross-Origin-Resource-Policy: same-origin; no
// request parameter changes the type; a cookie-authenticated cross-site or
// same-site subresource load of /files/ is refused.
func TestAdvisories_FilesNotActiveContent(t *testing.T) {
	in, c := passwordLogin(t, opts{})
	files := map[string]string{
		"evil.html":      "<script>alert(1)</script>",
		"evil.svg":       `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>`,
		"evil.js":        "alert(document.cookie)",
		"evil.json":      `["secret"]`,
		"evil.xml":       `<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>`,
		"evil.txt":       "<script>alert(1)</script>",
		"noext":          "<html><script>alert(1)</script></html>",
		"evil.ipynb":     `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`,
		"evil.html.txt":  "<script>alert(1)</script>",
		"evil.txt;.html": "<script>alert(1)</script>",
	}
	for name, content := range files {
		os.WriteFile(filepath.Join(in.Root, name), []byte(content), 0o644)
	}
	for name := range files {
		for _, q := range []string{"", "?type=text/html", "?mimetype=text/html&format=text", "?download=0"} {
			r := in.req("GET", "files/"+url.PathEscape(name)+q, nil)
			r.Header.Set("Accept", "text/html")
			status, _, h := send(t, c, r)
			where := "files/" + name + q
			if status != 200 {
				t.Errorf("%s: %d", where, status)
				continue
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "sandbox") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
				t.Errorf("%s: CSP %q, want a sandbox without allow-scripts/allow-same-origin (CVE-2018-21030)", where, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff (CVE-2015-7337)", where)
			}
			if h.Get("Cross-Origin-Resource-Policy") != "same-origin" {
				t.Errorf("%s: Cross-Origin-Resource-Policy %q, want same-origin (CVE-2019-9644)", where, h.Get("Cross-Origin-Resource-Policy"))
			}
			ct := h.Get("Content-Type")
			if q != "" && strings.HasPrefix(ct, "text/html") && !strings.HasSuffix(name, ".html") {
				t.Errorf("%s: the query made the type %q (CVE-2015-7337)", where, ct)
			}
			if (name == "noext" || strings.HasSuffix(name, ".txt")) && strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: served as %q", where, ct)
			}
		}
	}
	// XSSI: a cookie-authenticated subresource load from another site.
	for _, tc := range []struct{ site, mode, dest string }{
		{"cross-site", "no-cors", "script"},
		{"same-site", "no-cors", "script"},
		{"cross-site", "no-cors", "image"},
		{"cross-site", "navigate", "iframe"},
		{"cross-site", "cors", "empty"},
	} {
		for _, name := range []string{"evil.js", "evil.json"} {
			r := in.req("GET", "files/"+name, nil)
			r.Header.Set("Sec-Fetch-Site", tc.site)
			r.Header.Set("Sec-Fetch-Mode", tc.mode)
			r.Header.Set("Sec-Fetch-Dest", tc.dest)
			r.Header.Set("Referer", "https://evil.example/page")
			status, b, _ := send(t, c, r)
			if status != 403 || bytes.Contains(b, []byte("secret")) || bytes.Contains(b, []byte("alert")) {
				t.Errorf("CVE-2023-40170: %s %s load of files/%s with cookie: %d; want 403", tc.site, tc.dest, name, status)
			}
		}
	}
	// The JSON API is never executable as script: JSON type and nosniff.
	r := in.req("GET", "api/contents/evil.json?content=1", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Sec-Fetch-Mode", "no-cors")
	r.Header.Set("Sec-Fetch-Dest", "script")
	status, _, h := send(t, c, r)
	if status == 200 && (!strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("X-Content-Type-Options") != "nosniff") {
		t.Errorf("CVE-2019-9644: API JSON served as %q nosniff=%q", h.Get("Content-Type"), h.Get("X-Content-Type-Options"))
	}
	// Control: the page's own (same-origin) load works.
	r = in.req("GET", "files/evil.js", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if status, _, _ := send(t, c, r); status != 200 {
		t.Errorf("control: same-origin files/evil.js: %d", status)
	}
}

// TestAdvisories_NoSecretsInLogsOn5xx covers CVE-2022-24757 and
// CVE-2022-24758 (the auth cookie and request headers were logged on 5xx
// errors) and CVE-2026-86049 (the Referer, which may hold ?token=, was
// logged verbatim on 5xx). A request that fails with 5xx and carries every
// secret a browser or client can send must leave none of them in the log;
// its error body must hold no path or traceback (CVE-2023-49080).
func TestAdvisories_NoSecretsInLogsOn5xx(t *testing.T) {
	needIPyKernel(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gone"), 0o755)
	os.WriteFile(filepath.Join(dir, "gone", "kernel.json"), []byte(`{"argv": ["/opt/uninstalled-env/bin/python", "{connection_file}"], "display_name": "Gone", "language": "python"}`), 0o644)
	token := "tok-" + strings.Repeat("5", 40)
	in, c := passwordLogin(t, opts{args: []string{"--kernel-spec-path", dir, "--token", token}})
	in.Token = token
	session := loginCookie(t, in, c).Value
	xsrf := cookieValue(c, in, "_xsrf")
	refererToken := "ref-" + strings.Repeat("6", 40)

	statuses := map[int]bool{}
	for _, body := range []string{`{"name":"gone"}`} {
		for _, kind := range []string{"cookie", "token"} {
			r := in.req("POST", "api/kernels?token="+token+"&_xsrf="+xsrf, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Referer", in.URL+"tree?token="+refererToken+"&_xsrf="+xsrf)
			r.Header.Set("X-XSRFToken", xsrf)
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
			if kind == "token" {
				r.Header.Set("Authorization", "token "+token)
			}
			status, b, h := send(t, c, r)
			statuses[status] = true
			if status < 500 {
				t.Errorf("POST api/kernels %s (%s): %d %s; the test needs a 5xx", body, kind, status, b)
				continue
			}
			// CVE-2023-49080: no traceback, no server paths.
			for _, leak := range []string{dir, "/opt/", "/bin/false", "goroutine", ".go:", "Traceback", in.Root, in.Home} {
				if bytes.Contains(b, []byte(leak)) {
					t.Errorf("5xx body holds %q: %s", leak, b)
				}
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") || messageOf(b) == "" {
				t.Errorf("5xx body is not a JSON message: %q %s", h.Get("Content-Type"), b)
			}
		}
	}
	in.stop()
	log := in.Stderr.String() + in.Stdout.String()
	if !strings.Contains(log, "request failed") {
		t.Fatalf("the 5xx was not logged; the test proves nothing:\n%s", log)
	}
	for what, secret := range map[string]string{"token": token, "login cookie": session, "_xsrf": xsrf, "Referer token": refererToken, "password": "mypassword"} {
		if secret != "" && strings.Contains(log, secret) {
			t.Errorf("the log holds the %s after a 5xx:\n%s", what, log)
		}
	}
	t.Logf("5xx statuses exercised: %v", statuses)
}

// TestCVE_2022_29238_HiddenFilesEveryRoute covers CVE-2022-29238: with
// allow_hidden off, hidden files were left out of listings but every other
// verb still reached them. With Quire's default (--allow-hidden off) each
// route that names a path refuses a hidden one, as source or destination:
// contents GET, /files/, copy_from, rename from and to, save, delete,
// checkpoints and trust.
func TestCVE_2022_29238_HiddenFilesEveryRoute(t *testing.T) {
	in := startQuire(t, opts{})
	root := in.Root
	os.MkdirAll(filepath.Join(root, ".secret"), 0o755)
	os.MkdirAll(filepath.Join(root, "pub", ".git"), 0o755)
	const secret = "HIDDEN-SECRET"
	for _, p := range []string{".env", ".secret/a.txt", "pub/.git/config", ".nb.ipynb"} {
		content := secret
		if strings.HasSuffix(p, ".ipynb") {
			content = `{"cells":[{"cell_type":"markdown","metadata":{},"source":"` + secret + `"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
		}
		os.WriteFile(filepath.Join(root, filepath.FromSlash(p)), []byte(content), 0o644)
	}
	os.WriteFile(filepath.Join(root, "pub", "visible.txt"), []byte("v"), 0o644)
	snapshot := func() string {
		var b strings.Builder
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				data := ""
				if !fi.IsDir() {
					d, _ := os.ReadFile(p)
					data = string(d)
				}
				fmt.Fprintf(&b, "%s %s\n", p, data)
			}
			return nil
		})
		return b.String()
	}
	before := snapshot()

	reads := []string{
		"/api/contents/.env", "/api/contents/.env?content=1&type=file&format=text",
		"/api/contents/.secret", "/api/contents/.secret/a.txt", "/api/contents/%2esecret/a.txt",
		"/api/contents/pub/.git/config", "/api/contents/pub%2f.git%2fconfig", "/api/contents/.nb.ipynb",
		"/api/contents/.env/checkpoints", "/api/contents/.secret/a.txt/checkpoints",
		"/files/.env", "/files/.secret/a.txt", "/files/pub/.git/config", "/files/%2eenv", "/files/.nb.ipynb?download=1",
	}
	for _, p := range reads {
		status, _, body := rawSend(t, in, "GET "+p+" HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
		if status < 400 || status >= 500 || strings.Contains(body, secret) {
			t.Errorf("GET %s: %d (leaks: %v); want a 4xx refusal", p, status, strings.Contains(body, secret))
		}
	}
	status, _, body := rawSend(t, in, "GET /api/contents?content=1 HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
	if status != 200 || strings.Contains(body, ".env") || strings.Contains(body, ".secret") {
		t.Errorf("root listing: %d shows hidden names: %s", status, body)
	}
	writes := []struct{ method, target, body string }{
		{"POST", "/api/contents/pub", `{"copy_from":".env"}`},
		{"POST", "/api/contents/pub", `{"copy_from":".secret/a.txt"}`},
		{"POST", "/api/contents/pub", `{"copy_from":"pub/.git/config"}`},
		{"POST", "/api/contents/.secret", `{"copy_from":"pub/visible.txt"}`},
		{"POST", "/api/contents/.secret", `{"type":"file"}`},
		{"PATCH", "/api/contents/.env", `{"path":"pub/env.txt"}`},
		{"PATCH", "/api/contents/.secret", `{"path":"pub/secret"}`},
		{"PATCH", "/api/contents/pub/visible.txt", `{"path":".visible"}`},
		{"PATCH", "/api/contents/pub/visible.txt", `{"path":".secret/v.txt"}`},
		{"PUT", "/api/contents/.env", `{"type":"file","format":"text","content":"overwritten"}`},
		{"PUT", "/api/contents/.new", `{"type":"file","format":"text","content":"x"}`},
		{"PUT", "/api/contents/pub/x.txt", `{"type":"file","format":"text","content":"x","path":".x"}`},
		{"DELETE", "/api/contents/.env", ""},
		{"DELETE", "/api/contents/.secret", ""},
		{"POST", "/api/contents/.env/checkpoints", ""},
		{"POST", "/api/contents/.nb.ipynb/trust", ""},
	}
	for _, w := range writes {
		status, _, body := rawSend(t, in, w.method+" "+w.target+" HTTP/1.1\r\nAuthorization: token "+in.Token+"\r\nContent-Type: application/json", []byte(w.body))
		if status < 400 || status >= 500 || strings.Contains(body, secret) {
			t.Errorf("%s %s %s: %d; want a 4xx refusal", w.method, w.target, w.body, status)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("the root changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestCVE_2022_29241_RuntimeFilesNotServed covers CVE-2022-29241: with the
// root at (or above) $HOME, the contents API could read the server's
// runtime file and so its token. Here the root is $HOME and the runtime,
// data and trust directories are Jupyter's defaults under it; none of the
// files holding the token, the cookie secret, the sessions or the
// notebook secret is reachable through the contents API or /files/.
func TestCVE_2022_29241_RuntimeFilesNotServed(t *testing.T) {
	home := t.TempDir()
	share := filepath.Join(home, ".local", "share")
	runtime := filepath.Join(share, "jupyter", "runtime")
	in := startQuire(t, opts{root: home, noWait: true, env: []string{
		"HOME=" + home, "XDG_DATA_HOME=" + share, "JUPYTER_RUNTIME_DIR=" + runtime,
	}, args: []string{"--data-dir", filepath.Join(share, "quire")}})
	in.RuntimeDir = runtime
	in.waitReady()
	// Make sure the secrets exist where the test looks.
	c := in.client()
	send(t, c, browserGet(in, "tree?token="+in.Token))
	var found []string
	filepath.Walk(share, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(home, p)
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	runtimeFile := fmt.Sprintf(".local/share/jupyter/runtime/quire-%d.json", in.cmd.Process.Pid)
	want := map[string]bool{runtimeFile: false, ".local/share/quire/quire_cookie_secret": false}
	for _, f := range found {
		if _, ok := want[f]; ok {
			want[f] = true
		}
	}
	for f, ok := range want {
		if !ok {
			t.Fatalf("%s was not written where expected (found %v); the test proves nothing", f, found)
		}
	}
	for _, f := range found {
		for _, p := range []string{"/api/contents/" + f + "?content=1", "/files/" + f, "/api/contents/" + strings.ReplaceAll(f, "/", "%2f")} {
			status, _, body := rawSend(t, in, "GET "+p+" HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
			if status == 200 || status >= 500 || strings.Contains(body, in.Token) {
				t.Errorf("GET %s: %d; the runtime/data file must not be served", p, status)
			}
		}
	}
	// Copying it somewhere visible is refused too.
	status, _, _ := rawSend(t, in, "POST /api/contents HTTP/1.1\r\nAuthorization: token "+in.Token+"\r\nContent-Type: application/json", []byte(`{"copy_from":"`+runtimeFile+`"}`))
	if status < 400 || status >= 500 {
		t.Errorf("copy_from the runtime file: %d; want a 4xx refusal", status)
	}
}

// TestAdvisories_SiblingPrefixTraversal covers the string-prefix
// containment bug of jupyter_server CVE-2026-35397 and CVE-2026-5422
// (startswith(root) without a separator, ".." kept) and nbviewer
// CVE-2026-86258: with the root /…/nb, nothing under the sibling
// /…/nb-secret is reachable by any route, and no kernel starts there.
// TestTraversalAndSymlinkProbes covers the same class with more encodings.
func TestAdvisories_SiblingPrefixTraversal(t *testing.T) {
	parent := t.TempDir()
	root, sibling := filepath.Join(parent, "nb"), filepath.Join(parent, "nb-secret")
	os.MkdirAll(root, 0o755)
	os.MkdirAll(sibling, 0o755)
	const secret = "SIBLING-SECRET"
	os.WriteFile(filepath.Join(sibling, "s.txt"), []byte(secret), 0o644)
	os.WriteFile(filepath.Join(sibling, "s.ipynb"), []byte(`{"cells":[],"metadata":{"x":"`+secret+`"},"nbformat":4,"nbformat_minor":5}`), 0o644)
	os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644)
	in := startQuire(t, opts{root: root})
	for _, p := range []string{
		"/api/contents/../nb-secret/s.txt", "/api/contents/..%2fnb-secret%2fs.txt", "/api/contents/%2e%2e/nb-secret/s.txt",
		"/api/contents/" + url.PathEscape(sibling+"/s.txt"), "/api/contents/" + strings.TrimPrefix(sibling, "/") + "/s.txt",
		"/api/contents/..%2fnb-secret", "/api/contents/..%2fnb-secret%2fs.ipynb/checkpoints",
		"/files/..%2fnb-secret%2fs.txt", "/files/%2e%2e/nb-secret/s.txt", "/files/" + url.PathEscape(sibling+"/s.txt"),
		"/kernelspecs/python3/..%2f..%2f..%2f" + url.PathEscape(sibling+"/s.txt"),
	} {
		status, _, body := rawSend(t, in, "GET "+p+" HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
		if status == 200 || status >= 500 || strings.Contains(body, secret) {
			t.Errorf("GET %s: %d (leak %v); want a refusal", p, status, strings.Contains(body, secret))
		}
	}
	for _, w := range []struct{ method, target, body string }{
		{"POST", "/api/contents", `{"copy_from":"../nb-secret/s.txt"}`},
		{"POST", "/api/contents/..%2fnb-secret", `{"copy_from":"a.txt"}`},
		{"PATCH", "/api/contents/a.txt", `{"path":"../nb-secret/a.txt"}`},
		{"PUT", "/api/contents/..%2fnb-secret%2fw.txt", `{"type":"file","format":"text","content":"w"}`},
		{"DELETE", "/api/contents/..%2fnb-secret%2fs.txt", ""},
	} {
		status, _, _ := rawSend(t, in, w.method+" "+w.target+" HTTP/1.1\r\nAuthorization: token "+in.Token+"\r\nContent-Type: application/json", []byte(w.body))
		if status < 400 || status >= 500 {
			t.Errorf("%s %s %s: %d; want a 4xx refusal", w.method, w.target, w.body, status)
		}
	}
	entries, _ := os.ReadDir(sibling)
	if len(entries) != 2 {
		t.Errorf("the sibling directory changed: %d entries", len(entries))
	}
	if _, err := os.Stat(filepath.Join(root, "a.txt")); err != nil {
		t.Errorf("a.txt moved: %v", err)
	}

	// A session for a notebook in the sibling never starts its kernel there.
	if _, err := os.Stat("/usr/share/jupyter/kernels/python3/kernel.json"); err != nil {
		return
	}
	needIPyKernel(t)
	status, b, _ := apiJSON(t, in, "POST", "api/sessions", map[string]any{"path": "../nb-secret/s.ipynb", "type": "notebook", "kernel": map[string]any{"name": "python3"}})
	if status >= 500 {
		t.Fatalf("session in the sibling: %d %s", status, b)
	}
	if status == 201 {
		var s sessionModel
		decode(t, "session", b, &s)
		pid := kernelPID(t, in, s.Kernel.ID)
		cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		if err != nil || cwd != root {
			t.Errorf("kernel for ../nb-secret/s.ipynb runs in %q (%v), want the root %s", cwd, err, root)
		}
	}
}

// TestCVE_2024_35178_AbsoluteAndUNCPaths covers jupyter_server
// CVE-2024-35178: a static-file lookup accepted absolute and UNC paths,
// reading files outside its directory (and, on Windows, leaking NTLM
// hashes to an attacker's share) without authentication. Every route that
// maps a URL to a file, public or not, refuses absolute, drive-letter and
// UNC forms.
func TestCVE_2024_35178_AbsoluteAndUNCPaths(t *testing.T) {
	in := startQuire(t, opts{})
	forms := []string{
		"%2fetc%2fpasswd", "/etc/passwd", "%5C%5Cevil.example%5Cshare%5Cx", "%5C%5C%3F%5CC:%5Cwindows%5Cwin.ini",
		"C:%5Cwindows%5Cwin.ini", "c:/windows/win.ini", "%2f%2fevil.example%2fshare", "file:%2f%2f%2fetc%2fpasswd",
		"..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
	}
	prefixes := []string{"static/app/", "static/login/", "kernelspecs/python3/", "files/", "api/contents/", "api/kernelspecs/", "static/"}
	for _, pre := range prefixes {
		for _, f := range forms {
			for _, auth := range []string{"", "\r\nAuthorization: token " + in.Token} {
				target := "/" + pre + f
				status, h, body := rawSend(t, in, "GET "+target+" HTTP/1.1"+auth, nil)
				if strings.Contains(body, "root:x:0") || strings.Contains(body, "[fonts]") {
					t.Errorf("GET %s (auth %v): served a system file", target, auth != "")
				}
				if status == 200 && pre != "api/kernelspecs/" {
					t.Errorf("GET %s (auth %v): 200 %s", target, auth != "", h.Get("Content-Type"))
				}
				if status >= 500 {
					t.Errorf("GET %s: %d", target, status)
				}
			}
		}
	}
}

// TestCVE_2026_40110_OriginFullMatch covers jupyter_server CVE-2026-40110
// and PYSEC-2026-3472: allow_origin_pat matched a prefix, so
// https://trusted.example.com.evil.com passed. Quire's --allow-origin is an
// exact list: look-alikes get no CORS headers and are refused with the
// login cookie on plain requests, preflights and WebSocket upgrades.
// TestHostAndOriginChecks covers a shorter list.
func TestCVE_2026_40110_OriginFullMatch(t *testing.T) {
	in, c := passwordLogin(t, opts{args: []string{"--allow-origin", "https://trusted.example.com"}})
	for _, origin := range []string{
		"https://trusted.example.com.evil.com",
		"https://evil.com/https://trusted.example.com",
		"https://evil.com#https://trusted.example.com",
		"https://trusted.example.com@evil.com",
		"https://trusted.example.com%2eevil.com",
		"https://trusted.example.company",
		"https://xtrusted.example.com",
		"https://eviltrusted.example.com",
		"https://sub.trusted.example.com",
		"http://trusted.example.com",
		"https://trusted.example.com:8443",
		"https://trusted.example.co",
		"https://trusted-example.com",
		"https://trusted.example.com\t.evil.com",
		"null",
		"*",
		"",
	} {
		if origin == "" {
			continue
		}
		r := in.req("GET", "api/status", nil)
		r.Header.Set("Origin", origin)
		status, _, h := send(t, c, r)
		if status != 403 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("GET with Origin %q: %d ACAO %q; want 403 and no CORS", origin, status, h.Get("Access-Control-Allow-Origin"))
		}
		r = in.req("OPTIONS", "api/contents", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "PUT")
		r.Header.Set("Access-Control-Request-Headers", "content-type, x-xsrftoken")
		status, _, h = send(t, c, r)
		if status < 400 || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight with Origin %q: %d ACAO %q; want a refusal", origin, status, h.Get("Access-Control-Allow-Origin"))
		}
		head := "GET /api/kernels/" + wire.NewID() + "/channels HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: " + loginCookie(t, in, c).Name + "=" + loginCookie(t, in, c).Value + "\r\nOrigin: " + origin
		if status, _, _ := rawSend(t, in, head, nil); status != 403 {
			t.Errorf("WebSocket upgrade with Origin %q: %d; want 403", origin, status)
		}
	}
	// Control: the exact origin gets CORS.
	r := in.req("GET", "api/status", nil)
	r.Header.Set("Origin", "https://trusted.example.com")
	if status, _, h := send(t, c, r); status != 200 || h.Get("Access-Control-Allow-Origin") != "https://trusted.example.com" {
		t.Errorf("control: the allowed origin: %d ACAO %q", status, h.Get("Access-Control-Allow-Origin"))
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestCVE_2026_40934_PasswordChangeEndsSessions covers jupyter_server
// CVE-2026-40934: the cookie secret never changed, so a stolen login
// cookie outlived a password change. A cookie issued under one password
// is refused after a restart with another password (same port, same data
// directory, so the cookie name and the cookie secret are unchanged); the
// control restart with the same password keeps it. The auth unit test
// TestSessionsSurviveRestart covers the store side.
func TestCVE_2026_40934_PasswordChangeEndsSessions(t *testing.T) {
	out, _, err := runQuire(t, []string{"HOME=" + t.TempDir()}, "new password\nnew password\n", "password")
	if err != nil {
		t.Fatal(err)
	}
	newHash := strings.TrimSpace(out)
	data := t.TempDir()
	port := freePort(t)
	start := func(hash string) *instance {
		return startQuire(t, opts{args: []string{"--data-dir", data, "--port", port, "--password-hash", hash}})
	}
	in := start(sha1Vector)
	c := in.client()
	if !loginWithPassword(t, in, c, "mypassword") {
		t.Fatal("login failed")
	}
	stolen := loginCookie(t, in, c)
	replay := func(in *instance) int {
		r := in.req("GET", "api/contents", nil)
		r.AddCookie(&http.Cookie{Name: stolen.Name, Value: stolen.Value})
		status, _, _ := send(t, in.client(), r)
		return status
	}
	if s := replay(in); s != 200 {
		t.Fatalf("control: the cookie works before the restart: %d", s)
	}
	in.stop()
	same := start(sha1Vector)
	if s := replay(same); s != 200 {
		t.Fatalf("control: the cookie after a restart with the same password: %d, want 200", s)
	}
	same.stop()
	changed := start(newHash)
	if s := replay(changed); s != 403 {
		t.Errorf("the old password's cookie after the password change: %d, want 403", s)
	}
	changed.stop()
	back := start(sha1Vector)
	if s := replay(back); s != 403 {
		t.Errorf("the cookie came back with the old password: %d, want 403 (its session must be gone)", s)
	}
}

// TestCVE_2021_41247_LogoutRevokesSession covers JupyterHub CVE-2021-41247
// (logout in one tab left the session usable from others) and session
// revocation in general: after logout the session is gone on the server,
// so a copy of the cookie taken before (another tab, a stolen cookie) is
// refused on the API, on /files/ and on the kernel WebSocket; a second
// login's session is unaffected.
func TestCVE_2021_41247_LogoutRevokesSession(t *testing.T) {
	in, tab1 := passwordLogin(t, opts{})
	os.WriteFile(filepath.Join(in.Root, "f.txt"), []byte("f"), 0o644)
	other := in.client()
	if !loginWithPassword(t, in, other, "mypassword") {
		t.Fatal("second login failed")
	}
	stolen := loginCookie(t, in, tab1)
	replay := func(path string, h map[string]string) int {
		r := in.req("GET", path, nil)
		r.AddCookie(&http.Cookie{Name: stolen.Name, Value: stolen.Value})
		for k, v := range h {
			r.Header.Set(k, v)
		}
		status, _, _ := send(t, in.client(), r)
		return status
	}
	if s := replay("api/contents", nil); s != 200 {
		t.Fatalf("control: the copied cookie before logout: %d", s)
	}
	if status, _, _ := send(t, tab1, in.req("GET", "logout", nil)); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	if s := replay("api/contents", nil); s != 403 {
		t.Errorf("API with the cookie copied before logout: %d, want 403", s)
	}
	if s := replay("files/f.txt", nil); s < 300 || s >= 500 {
		t.Errorf("/files/ with the cookie copied before logout: %d, want a refusal", s)
	}
	if s := replay("api/kernels/"+wire.NewID()+"/channels", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}); s != 403 {
		t.Errorf("WebSocket with the cookie copied before logout: %d, want 403", s)
	}
	if status, _, _ := send(t, other, in.req("GET", "api/contents", nil)); status != 200 {
		t.Errorf("the other login's session after logout elsewhere: %d, want 200", status)
	}
}

// TestAdvisories_NoNbconvertNoProxy covers routes Quire does not have and
// whose advisories therefore cannot apply, so that adding one is a
// conscious change: the notebook viewer, jupyter-server-proxy SSRF
// (CVE-2022-21697) and marimo's unauthenticated proxy
// (GHSA-xjv7-6w92-42r7). Each answers 404 with the token, and no
// connection is made to a local service named in the path. The nbconvert
// routes exist since issue #16: TestAdvisories_NbconvertSandboxed covers
// their advisories.
func TestAdvisories_NoNbconvertNoProxy(t *testing.T) {
	in := startQuire(t, opts{})
	os.WriteFile(filepath.Join(in.Root, "n.ipynb"), []byte(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	lport := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	for _, p := range []string{
		"view/n.ipynb", "proxy/" + lport + "/", "proxy/127.0.0.1:" + lport + "/", "proxy/absolute/" + lport + "/",
		"api/proxy/" + lport, "marimo/proxy/" + lport, "server-proxy/" + lport,
	} {
		for _, m := range []string{"GET", "POST"} {
			status, h, _ := rawSend(t, in, m+" /"+p+" HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
			if loc := h.Get("Location"); status == 302 && staysLocal(loc, "/") && loc != "/"+p {
				// The trailing-slash redirect; what it points at must be absent too.
				status, _, _ = rawSend(t, in, m+" "+loc+" HTTP/1.1\r\nAuthorization: token "+in.Token, nil)
			}
			if status != 404 && status != 405 {
				t.Errorf("%s /%s: %d, want 404", m, p, status)
			}
		}
	}
	select {
	case <-accepted:
		t.Error("a proxy-shaped path made Quire connect to a local service")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestAdvisories_NbconvertSandboxed covers the advisories of exported
// HTML: nbconvert output running in the server's origin (CVE-2018-19351),
// stored XSS in /nbconvert/html for want of a CSP sandbox (CVE-2026-44727,
// GHSA-fcw5-x6j4-ccmp) and HTML injection through a notebook's contents
// (CVE-2021-32862). The HTML export of an untrusted notebook carrying
// script in markdown, in an HTML output and as an application/javascript
// output has the /files/ CSP (sandbox, no allow-scripts) and no script or
// event handler in its body; every other format has the same CSP. The POST
// form of nbconvert is not a route.
func TestAdvisories_NbconvertSandboxed(t *testing.T) {
	in := startQuire(t, opts{})
	writeFile(t, filepath.Join(in.Root, "n.ipynb"), exportNotebook(false))
	for _, f := range []string{"html", "script", "markdown", "notebook"} {
		for _, q := range []string{"", "?download=false", "?download=true"} {
			status, body, h := in.do(in.req("GET", "nbconvert/"+f+"/n.ipynb"+q, nil))
			if status != 200 {
				t.Errorf("%s%s: %d", f, q, status)
				continue
			}
			if csp := h.Get("Content-Security-Policy"); csp != filesCSPWant {
				t.Errorf("CVE-2026-44727: %s%s CSP %q, want %q", f, q, csp, filesCSPWant)
			}
			if f == "html" {
				b := strings.ToLower(string(body))
				if strings.Contains(b, "<script") || strings.Contains(b, "onerror") {
					t.Errorf("CVE-2021-32862: untrusted HTML export keeps script:\n%s", body)
				}
			}
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if status, _, _ := in.do(in.req(m, "nbconvert/html/n.ipynb", strings.NewReader(exportNotebook(false)))); status != 405 && status != 404 {
			t.Errorf("%s nbconvert/html: %d, want 404 or 405", m, status)
		}
	}
}

// TestAdvisories_OpenRedirect has one row per open-redirect advisory, each
// with a payload of that advisory in a login next= or in the path. Every
// redirect must stay on this server under the base URL. TestOpenRedirectTable
// and guard's TestSafeNext cover many more encodings.
func TestAdvisories_OpenRedirect(t *testing.T) {
	in, logged := passwordLogin(t, opts{})
	rows := []struct {
		id   string
		kind string // "post-next": POST /login?next=; "get-next": GET /login?next= while logged in; "path": GET of the path
		arg  string
	}{
		{"CVE-2019-10255", "post-next", "https://evil.example/"},
		{"CVE-2019-10255", "get-next", "http://evil.example"},
		{"CVE-2019-10856", "post-next", "https:///evil.example/"},
		{"CVE-2019-10856", "post-next", "/\\/evil.example"},
		{"CVE-2020-26215", "path", "//evil.example/"},
		{"CVE-2020-26215", "path", "//evil.example/%2e%2e"},
		{"CVE-2020-26232", "path", "/%2F%2Fevil.example/"},
		{"CVE-2020-26232", "path", "///evil.example/"},
		{"CVE-2020-26275", "path", "/%5Cevil.example/"},
		{"CVE-2020-26275", "path", "/\\evil.example/"},
		{"CVE-2023-39968", "get-next", "//evil.example"},
		{"CVE-2023-39968", "get-next", "/\\evil.example"},
		{"CVE-2023-39968", "post-next", "%2F%2Fevil.example"},
		{"jupyterhub#1908", "path", "//evil.example/tree/"},
		{"jupyterhub#1908", "post-next", "//evil.example/tree/"},
		{"CVE-2026-33709", "post-next", "/tree/..//evil.example"},
		{"CVE-2026-33709", "post-next", "/tree/%2e%2e/%2Fevil.example"},
		{"CVE-2026-33709", "get-next", "/./\\evil.example"},
	}
	cookieHeader := func(c *http.Client) string {
		ck := loginCookie(t, in, c)
		return ck.Name + "=" + ck.Value + "; _xsrf=" + cookieValue(c, in, "_xsrf")
	}
	for _, row := range rows {
		var status int
		var h http.Header
		switch row.kind {
		case "post-next":
			c := in.client()
			send(t, c, in.req("GET", "login", nil))
			form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
			r := in.req("POST", "login?next="+url.QueryEscape(row.arg), strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			status, _, h = send(t, c, r)
			if status != 302 {
				t.Errorf("%s: POST login next=%q: %d, want 302", row.id, row.arg, status)
			}
		case "get-next":
			status, h, _ = rawSend(t, in, "GET /login?next="+url.QueryEscape(row.arg)+" HTTP/1.1\r\nCookie: "+cookieHeader(logged), nil)
			if status != 302 {
				t.Errorf("%s: GET login next=%q while logged in: %d, want 302", row.id, row.arg, status)
			}
		case "path":
			for _, auth := range []string{"", "\r\nCookie: " + cookieHeader(logged), "\r\nAuthorization: token x"} {
				st, hh, _ := rawSend(t, in, "GET "+row.arg+" HTTP/1.1\r\nAccept: text/html"+auth, nil)
				if loc := hh.Get("Location"); st >= 300 && st < 400 && !staysLocal(loc, "/") {
					t.Errorf("%s: GET %s: %d Location %q leaves the server", row.id, row.arg, st, loc)
				}
			}
			continue
		}
		if loc := h.Get("Location"); !staysLocal(loc, "/") {
			t.Errorf("%s: next=%q: Location %q leaves the server", row.id, row.arg, loc)
		}
	}
}
