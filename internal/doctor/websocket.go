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
	case rm.t.Token == "":
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket through the proxy not checked: no token",
			Fix: "Give the server's token in the environment (not on the command line, where ps shows it):\n  QUIRE_TOKEN=... quire doctor " + rm.t.URL + "\nThe check starts a kernel, runs kernel_info over its WebSocket and shuts it down."})
		return
	case !rm.verified:
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket not checked: the certificate did not verify, so the token was not sent",
			Fix: "Fix the certificate (above) and run again."})
		return
	case rm.u.Scheme == "http" && !hostIsLoopback(rm.u.Hostname()):
		rm.add(Finding{ID: id, Level: Skip, Title: "WebSocket not checked: the token would cross the network in clear text over http://",
			Fix: "Serve HTTPS (above) and check the https:// URL."})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*rm.t.Timeout)
	defer cancel()
	auth := http.Header{"Authorization": {"token " + rm.t.Token}}

	// The default kernel, started over REST.
	resp, err := rm.do(ctx, "GET", rm.at("api/kernelspecs"), auth, nil)
	if err != nil {
		rm.add(Finding{ID: id, Level: Error, Title: "cannot list kernelspecs", Detail: err.Error()})
		return
	}
	if resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden {
		rm.add(Finding{ID: "auth.token", Level: Error, Title: fmt.Sprintf("the token is refused (HTTP %d)", resp.status),
			Fix: "Give the token the server was started with (quire list on the server shows it; QUIRE_TOKEN=... quire doctor URL)."})
		return
	}
	var specs struct{ Default string }
	if resp.status != http.StatusOK || json.Unmarshal([]byte(resp.body), &specs) != nil || specs.Default == "" {
		rm.add(Finding{ID: id, Level: Warn, Title: fmt.Sprintf("WebSocket not checked: no default kernel (GET api/kernelspecs: HTTP %d)", resp.status),
			Fix: "Install a kernel on the server (quire doctor there says how)."})
		return
	}
	body, _ := json.Marshal(map[string]string{"name": specs.Default})
	resp, err = rm.do(ctx, "POST", rm.at("api/kernels"), http.Header{"Authorization": auth["Authorization"], "Content-Type": {"application/json"}}, bytes.NewReader(body))
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
	hdr := http.Header{"Authorization": auth["Authorization"], "Origin": {rm.origin}}
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
