//go:build integration

package integration

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire/internal/guard/guardtest"
)

// rawGet sends "GET target" exactly as written (no client normalising the
// target) with the given Host and Cookie headers, and returns the response.
func rawGet(t *testing.T, in *instance, target, host, cookie string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.Port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/html\r\n" +
		"Sec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\nConnection: close\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %q: %v", target, err)
	}
	resp.Body.Close()
	return resp
}

// TestOpenRedirectIssue14 requests the URLs of issue #14 (hole 1) and the
// classic open-redirect payloads from the real binary, plain and with
// --base-url /x/, as a logged-in browser and as an anonymous one, and
// follows every redirect: each Location must keep a browser on the server
// under the base URL (judged by guardtest.Check, which follows the WHATWG
// URL parser as browsers do).
func TestOpenRedirectIssue14(t *testing.T) {
	issue := []string{
		"/.%2F%5Cevil.com/",
		"/%09//evil.com/",
		"/x/..%2F%5Cevil.com/",
		"/x/a%2F..%2F..%2F%5Cevil.com/",
	}
	for _, base := range []string{"/", "/x/"} {
		t.Run("base"+base, func(t *testing.T) {
			var args []string
			if base != "/" {
				args = []string{"--base-url", base}
			}
			in := startQuire(t, opts{args: args})
			host := "127.0.0.1:" + strconv.Itoa(in.Port)
			origin := "http://" + host

			// Log in as a browser does; keep the cookies.
			login := rawGet(t, in, base+"tree?token="+in.Token, host, "")
			if login.StatusCode != http.StatusFound {
				t.Fatalf("token login: %d", login.StatusCode)
			}
			var parts []string
			for _, ck := range login.Cookies() {
				parts = append(parts, ck.Name+"="+ck.Value)
			}
			cookie := strings.Join(parts, "; ")

			targets := append([]string{}, issue...)
			for _, p := range guardtest.Payloads() {
				if strings.HasPrefix(p, "/") && !strings.ContainsAny(p, " \r\n\x00\x0b") {
					targets = append(targets, p)
				}
			}
			for _, target := range targets {
				for _, ck := range []string{cookie, ""} {
					next, hops := target, 0
					for ; next != "" && hops < 4; hops++ {
						resp := rawGet(t, in, next, host, ck)
						if resp.StatusCode < 300 || resp.StatusCode > 399 {
							break
						}
						loc := resp.Header.Get("Location")
						if err := guardtest.Check(loc, next, origin, base); err != nil {
							t.Errorf("GET %q (from %q, logged in %v): %d: %v", next, target, ck != "", resp.StatusCode, err)
							break
						}
						u, err := guardtest.Resolve(loc, origin+next)
						if err != nil {
							t.Fatal(err)
						}
						next = u.Path
						if u.Query != "" {
							next += "?" + u.Query
						}
					}
				}
			}

			// The login page's next, for the issue's URLs.
			for _, target := range issue {
				resp := rawGet(t, in, base+"login?next="+url.QueryEscape(target), host, cookie)
				if err := guardtest.Check(resp.Header.Get("Location"), base+"login", origin, base); err != nil {
					t.Errorf("login?next=%q: %d: %v", target, resp.StatusCode, err)
				}
			}
		})
	}
}

// TestHostBogusPort: issue #14 hole 9. The DNS-rebinding check must read the
// whole Host header, port included.
func TestHostBogusPort(t *testing.T) {
	in := startQuire(t, opts{})
	for _, host := range []string{
		"localhost:18888.evil.com", "127.0.0.1:" + strconv.Itoa(in.Port) + ".evil.com",
		"localhost:0x50", "localhost:", "localhost:99999", "[::1]:80.evil.com", // (user info gets 400 from net/http)
	} {
		resp := rawGet(t, in, "/api/status?token="+in.Token, host, "")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Host %q: %d, want 403", host, resp.StatusCode)
		}
	}
	if resp := rawGet(t, in, "/api/status?token="+in.Token, "localhost:"+strconv.Itoa(in.Port), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("Host localhost:%d: %d, want 200", in.Port, resp.StatusCode)
	}
}
