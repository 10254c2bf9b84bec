//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestHubModes runs quire singleuser under Debian's JupyterHub 3.0 in the
// setups TestHub does not: per-user subdomains (absolute OAuth callback,
// cross-host authorize redirect) and internal SSL (TLS with client
// certificates between the proxy, the Hub and Quire). Each spawns alice's
// server from the Hub, goes through the OAuth dance in a cookie-jar
// browser, uses the API and a terminal WebSocket through the proxy, and
// stops it.
func TestHubModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode hubMode
	}{
		{"subdomains", hubMode{subdomain: true}},
		{"internal ssl", hubMode{internalSSL: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHubMode(t, tc.mode)
			alice := h.login("alice")
			code, body, at := alice.get("/hub/spawn/alice")
			if at.Path == "/hub/spawn-pending/alice" {
				h.waitReady("alice", "")
				code, body, at = alice.get("/hub/user/alice/")
			}
			wantHost := "127.0.0.1:" + h.port
			if tc.mode.subdomain {
				wantHost = "alice.hub.localhost:" + h.port
			}
			if code != 200 || at.Path != "/user/alice/tree/" || at.Host != wantHost {
				t.Fatalf("spawn: %d at %s, want the file browser on %s\n%s", code, at, wantHost, tail(body, 500))
			}
			server := "http://" + at.Host
			jar := alice.c.Jar
			if tc.mode.subdomain {
				// Quire's login cookie is host-only: the Hub's host and
				// other users' hosts never receive it.
				for _, other := range []string{h.URL, "http://bob.hub.localhost:" + h.port} {
					u, _ := url.Parse(other + "/user/alice/")
					for _, c := range jar.Cookies(u) {
						if strings.HasPrefix(c.Name, "jupyterhub-user-alice") {
							t.Errorf("Quire's cookie %s is sent to %s", c.Name, other)
						}
					}
				}
			}

			resp, err := alice.c.Get(server + "/user/alice/api/me")
			if err != nil {
				t.Fatal(err)
			}
			me, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(me), `"alice"`) {
				t.Errorf("/api/me: %d %s", resp.StatusCode, me)
			}

			// A terminal over its WebSocket, through the proxy: the Origin
			// check holds whatever the hop between proxy and Quire is.
			var xsrf string
			u, _ := url.Parse(server + "/user/alice/")
			for _, c := range jar.Cookies(u) {
				if c.Name == "_xsrf" {
					xsrf = c.Value
				}
			}
			req, _ := http.NewRequest("POST", server+"/user/alice/api/terminals", nil)
			req.Header.Set("X-XSRFToken", xsrf)
			resp, err = alice.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			tb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var term struct{ Name string }
			if json.Unmarshal(tb, &term); resp.StatusCode != 200 || term.Name == "" {
				t.Fatalf("open terminal: %d %s", resp.StatusCode, tb)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tc2, _, err := websocket.Dial(ctx, "ws://"+at.Host+"/user/alice/terminals/websocket/"+term.Name,
				&websocket.DialOptions{HTTPClient: alice.c, HTTPHeader: http.Header{"Origin": {server}}})
			if err != nil {
				t.Fatalf("terminal WebSocket: %v", err)
			}
			_ = tc2.Write(ctx, websocket.MessageText, []byte(`["stdin", "echo mode-$((40+2))\r"]`))
			var seen strings.Builder
			for !strings.Contains(seen.String(), "mode-42") {
				_, msg, err := tc2.Read(ctx)
				if err != nil {
					t.Fatalf("terminal output %q: %v", seen.String(), err)
				}
				seen.Write(msg)
			}
			tc2.Close(websocket.StatusNormalClosure, "")

			if tc.mode.internalSSL {
				// The proxy's route is https; nobody without a certificate
				// of the Hub's CA gets an answer from Quire.
				m := regexp.MustCompile(`/user/alice/ => (https?)://127\.0\.0\.1:(\d+)`).FindStringSubmatch(h.out.String())
				if m == nil || m[1] != "https" {
					t.Fatalf("the Hub's route for alice is %v, want https", m)
				}
				direct := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
				if resp, err := direct.Get("https://127.0.0.1:" + m[2] + "/user/alice/api"); err == nil {
					resp.Body.Close()
					t.Errorf("a client without a certificate got %d from Quire, want the handshake refused", resp.StatusCode)
				}
			}

			if code, b := h.hubAPI("DELETE", "/users/alice/server", h.admin, nil); code != 204 && code != 202 {
				t.Fatalf("stop: %d %s", code, b)
			}
			deadline := time.Now().Add(15 * time.Second)
			for len(h.servers("alice")) > 0 {
				if time.Now().After(deadline) {
					t.Fatal("alice's server still running 15 s after DELETE")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
