package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// websocket checks that a kernel WebSocket gets through whatever sits in
// front of the server, the way the notebook page opens it: it starts a
// kernel over REST, upgrades its channels, asks kernel_info and waits for
// the reply, then shuts the kernel down. A proxy that drops the Upgrade
// header is the most common fault of a deployment, and nothing else shows
// it: every REST call works, and notebooks never connect.
//
// The coder/websocket client is used rather than a hand-written one: the
// frames come from the network, and wsbridge's library already parses
// them.
func (rm *remote) websocket(ctx context.Context) {
	const id = "websocket"
	switch {
	case rm.t.Token == "" && rm.t.Password == "":
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket through the proxy not checked: no token or password",
			Fix: "Give the server's token, or its password, in the environment (not on the command line, where ps shows it):\n  QUIRE_TOKEN=... quire doctor " + rm.t.URL + "\n  QUIRE_PASSWORD=... quire doctor " + rm.t.URL + "\nThe check starts a kernel, runs kernel_info over its WebSocket and shuts it down."})
		return
	case !rm.verified:
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket not checked: the certificate did not verify, so no credential was sent",
			Fix: "Fix the certificate (above) and run again."})
		return
	case rm.u.Scheme == "http" && !hostIsLoopback(rm.u.Hostname()):
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket not checked: the credential would cross the network in clear text over http://",
			Fix: "Serve HTTPS (above) and check the https:// URL."})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*rm.t.Timeout)
	defer cancel()
	// What a page sends: its own Origin, and a token or, after logging
	// in with the password, the session cookie and the XSRF header.
	auth := http.Header{"Origin": {rm.origin}}
	if rm.t.Token != "" {
		auth.Set("Authorization", "token "+rm.t.Token)
	} else if !rm.login(ctx, auth) {
		return
	}

	// The default kernel, started over REST.
	resp, err := rm.do(ctx, "GET", rm.at("api/kernelspecs"), auth, nil)
	if err != nil {
		rm.add(Finding{ID: id, Level: Error, Title: "cannot list kernelspecs", Detail: err.Error()})
		return
	}
	if f, ok := rm.refusal("proxy.origin", resp); ok {
		rm.add(f)
		return
	}
	if resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden {
		rm.add(Finding{ID: "auth.token", Level: Error, Title: fmt.Sprintf("the token is refused (HTTP %d)", resp.status),
			Fix: "Give the token the server was started with (quire list on the server shows it; QUIRE_TOKEN=... quire doctor URL)."})
		return
	}
	rm.bodyLimit(ctx, auth) // once the credential is known to work

	var specs struct{ Default string }
	if resp.status != http.StatusOK || json.Unmarshal([]byte(resp.body), &specs) != nil || specs.Default == "" {
		rm.add(Finding{ID: id, Level: Warn, Title: fmt.Sprintf("WebSocket not checked: no default kernel (GET api/kernelspecs: HTTP %d)", resp.status),
			Fix: "Install a kernel on the server (quire doctor there says how)."})
		return
	}
	body, _ := json.Marshal(map[string]string{"name": specs.Default})
	post := auth.Clone()
	post.Set("Content-Type", "application/json")
	resp, err = rm.do(ctx, "POST", rm.at("api/kernels"), post, bytes.NewReader(body))
	if err == nil {
		if f, ok := rm.refusal("proxy.origin", resp); ok {
			rm.add(f)
			return
		}
	}
	var kernel struct{ ID string }
	if err != nil || resp.status != http.StatusCreated || json.Unmarshal([]byte(resp.body), &kernel) != nil || kernel.ID == "" {
		detail := fmt.Sprint(err)
		if err == nil {
			detail = fmt.Sprintf("HTTP %d: %s", resp.status, snippet(resp.body))
		}
		rm.add(Finding{ID: id, Level: Warn, Title: "WebSocket not checked: kernel " + specs.Default + " did not start", Detail: detail,
			Fix: "Run quire doctor on the server to check its kernelspecs."})
		return
	}
	defer func() {
		// The kernel goes whatever happened, even after a timeout.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), rm.t.Timeout)
		defer dcancel()
		_, _ = rm.do(dctx, "DELETE", rm.at("api/kernels/"+url.PathEscape(kernel.ID)), auth, nil)
	}()

	wsURL := *rm.u
	wsURL.Scheme = map[string]string{"http": "ws", "https": "wss"}[rm.u.Scheme]
	wsURL.Path = rm.base + "api/kernels/" + kernel.ID + "/channels"
	wsURL.RawPath = ""
	session := randomHex()
	wsURL.RawQuery = "session_id=" + session
	hdr := auth.Clone()
	hdr.Del("X-XSRFToken") // a browser's WebSocket sends cookies and Origin only
	conn, hresp, err := websocket.Dial(ctx, wsURL.String(), &websocket.DialOptions{HTTPClient: rm.client, HTTPHeader: hdr})
	if err != nil {
		rm.add(rm.upgradeFailure(hresp, err))
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)

	msgID := randomHex()
	req, _ := json.Marshal(map[string]any{
		"header": map[string]string{"msg_id": msgID, "session": session, "username": "quire-doctor",
			"msg_type": "kernel_info_request", "version": "5.3", "date": time.Now().UTC().Format(time.RFC3339Nano)},
		"parent_header": map[string]any{}, "metadata": map[string]any{}, "content": map[string]any{},
		"channel": "shell", "buffers": []any{},
	})
	if err := conn.Write(ctx, websocket.MessageText, req); err != nil {
		rm.add(Finding{ID: id, Level: Error, Title: "WebSocket upgraded, then closed before the first message", Detail: err.Error(), Fix: fixUpgrade})
		return
	}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			f := Finding{ID: id, Level: Error, Title: "WebSocket upgraded, but no kernel_info_reply came back", Detail: err.Error(),
				Fix: "If the proxy buffers or times out streams, turn that off for " + rm.base + "api/kernels/:\n  nginx:   proxy_buffering off; proxy_read_timeout 1d;\n  Apache:  ProxyTimeout 86400"}
			if errors.Is(err, context.DeadlineExceeded) {
				f.Title = fmt.Sprintf("WebSocket upgraded, but no kernel_info_reply within %s", 3*rm.t.Timeout)
			}
			rm.add(f)
			return
		}
		var m struct {
			Header struct {
				MsgType string `json:"msg_type"`
			} `json:"header"`
			ParentHeader struct {
				MsgID string `json:"msg_id"`
			} `json:"parent_header"`
		}
		if json.Unmarshal(data, &m) == nil && m.Header.MsgType == "kernel_info_reply" && m.ParentHeader.MsgID == msgID {
			break
		}
	}
	conn.Close(websocket.StatusNormalClosure, "")
	rm.add(Finding{ID: id, Level: OK, Title: "a kernel WebSocket opens and kernel_info is answered over it"})
}

// login logs in with the password as the login form does, keeping the
// session cookie in the client's jar, and adds the XSRF header later
// requests need to hdr. It reports the failure and returns false if the
// login does not succeed.
func (rm *remote) login(ctx context.Context, hdr http.Header) bool {
	jar, _ := cookiejar.New(nil)
	rm.client.Jar = jar
	page := rm.at("login")
	if _, err := rm.do(ctx, "GET", page, http.Header{"Origin": {rm.origin}}, nil); err != nil {
		rm.add(Finding{ID: "auth.password", Level: Error, Title: "cannot load the login page", Detail: err.Error()})
		return false
	}
	var xsrf string
	for _, c := range jar.Cookies(rm.u) {
		if c.Name == "_xsrf" {
			xsrf = c.Value
		}
	}
	form := url.Values{"_xsrf": {xsrf}, "password": {rm.t.Password}}
	resp, err := rm.do(ctx, "POST", page+"?next="+url.QueryEscape(rm.base),
		http.Header{"Origin": {rm.origin}, "Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	switch {
	case err != nil:
		rm.add(Finding{ID: "auth.password", Level: Error, Title: "login failed", Detail: err.Error()})
		return false
	case resp.status == http.StatusFound || resp.status == http.StatusSeeOther:
		hdr.Set("X-XSRFToken", xsrf)
		return true
	}
	if f, ok := rm.refusal("proxy.origin", resp); ok {
		rm.add(f)
		return false
	}
	f := Finding{ID: "auth.password", Level: Error, Title: fmt.Sprintf("login with the password failed (HTTP %d)", resp.status),
		Fix: "Give the password the server was set up with: QUIRE_PASSWORD=... quire doctor " + rm.r.Target}
	switch {
	case resp.status == http.StatusTooManyRequests:
		f.Level, f.Title = Warn, "login throttled (HTTP 429): too many failed logins; WebSocket not checked"
		f.Fix = "Wait for the throttle to pass (" + resp.header.Get("Retry-After") + " s), then run again with the right password."
	case xsrf == "":
		f.Detail = "The login page set no _xsrf cookie; a proxy that drops Set-Cookie or rewrites its Path breaks logins."
		f.Fix = "Pass cookies unchanged: nginx proxy_cookie_path off (the default); Apache: no ProxyPassReverseCookiePath unless the base path changes."
	}
	rm.add(f)
	return false
}

// probeBody is the size of the request body bodyLimit sends: above
// nginx's default limit of 1 MiB, which a notebook with a few plots
// passes.
const probeBody = 2 << 20

// bodyLimit checks that a save of a notebook of probeBody bytes gets
// through the proxy. It PUTs that many bytes of blanks, which is no JSON:
// Quire reads them and answers 400, writing nothing; a proxy with a lower
// limit answers 413 with a page of its own first.
func (rm *remote) bodyLimit(ctx context.Context, auth http.Header) {
	hdr := auth.Clone()
	hdr.Set("Content-Type", "application/json")
	resp, err := rm.do(ctx, "PUT", rm.at("api/contents/quire-doctor-probe.ipynb"), hdr, bytes.NewReader(bytes.Repeat([]byte(" "), probeBody)))
	const id = "proxy.body-size"
	fix := `Let the proxy accept request bodies as large as Quire does (--max-body-size, 256 MiB by default):
  nginx:   client_max_body_size 256m;
  Apache:  LimitRequestBody 268435456
  Caddy:   request_body { max_size 256MB }
  Traefik: buffering middleware maxRequestBodyBytes, or none`
	switch {
	case err != nil:
		rm.add(Finding{ID: id, Level: Warn, Title: "a 2 MiB save did not get an answer", Detail: err.Error(), Fix: fix})
	case resp.status == http.StatusRequestEntityTooLarge:
		var e struct{ Message string }
		if json.Unmarshal([]byte(resp.body), &e) == nil && e.Message != "" {
			rm.add(Finding{ID: id, Level: Warn, Title: "the server refuses a 2 MiB save (HTTP 413): " + e.Message,
				Fix: "Raise the server's limit: --max-body-size 256MiB (the default)."})
			return
		}
		rm.add(Finding{ID: id, Level: Error, Title: "the proxy refuses a 2 MiB save (HTTP 413 before the server)",
			Detail: "Saving a notebook larger than the proxy's limit fails (nginx allows 1 MiB unless told); notebooks with plots get there fast.",
			Fix:    fix})
	default:
		rm.add(Finding{ID: id, Level: OK, Title: "a 2 MiB save gets through to the server"})
	}
}

// upgradeFailure says why the WebSocket handshake failed.
func (rm *remote) upgradeFailure(resp *http.Response, err error) Finding {
	const id = "websocket"
	if resp == nil {
		return Finding{ID: id, Level: Error, Title: "WebSocket handshake failed", Detail: err.Error(), Fix: fixUpgrade}
	}
	var b []byte
	if resp.Body != nil {
		b, _ = readAll(resp)
	}
	if f, ok := rm.refusal("proxy.origin", &response{status: resp.StatusCode, header: resp.Header, body: string(b)}); ok {
		return f
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return Finding{ID: id, Level: Error, Title: "WebSocket handshake answered 101 but was not valid", Detail: err.Error(),
			Fix: "Something between rewrites the handshake (Sec-WebSocket-Accept); let the proxy pass it unchanged:\n" + fixUpgrade}
	}
	return Finding{ID: id, Level: Error,
		Title: fmt.Sprintf("WebSocket upgrade refused: HTTP %d instead of 101 Switching Protocols", resp.StatusCode),
		Detail: "The kernel channels request reached the server as a plain GET: the proxy dropped the Upgrade and Connection headers. " +
			"REST works, but notebooks never connect to their kernels.\nAnswer: " + snippet(string(b)),
		Fix: strings.ReplaceAll(fixUpgrade, "BASE", strings.TrimPrefix(rm.base, "/"))}
}

func readAll(resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(resp.Body)
	return buf.Bytes(), err
}

func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
