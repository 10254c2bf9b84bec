package logx_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"quire/internal/logx"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		format, level string
		ok            bool
	}{
		{"text", "info", true},
		{"json", "debug", true},
		{"JSON", "WARN", true},
		{"text", "error", true},
		{"xml", "info", false},
		{"text", "verbose", false},
	} {
		_, err := logx.New(&bytes.Buffer{}, tc.format, tc.level)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q, %q) error = %v, want ok = %v", tc.format, tc.level, err, tc.ok)
		}
	}
	var buf bytes.Buffer
	log, _ := logx.New(&buf, "text", "warn")
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("level filter: %q", buf.String())
	}
}

func TestRedactQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a=1&b=2", "a=1&b=2"},
		{"token=SECRET", "token=[secret]"},
		{"TOKEN=SECRET", "TOKEN=[secret]"},
		{"x=1&token=SECRET&y=2", "x=1&token=[secret]&y=2"},
		{"access_token=SECRET", "access_token=[secret]"},
		{"auth=SECRET", "auth=[secret]"},
		{"api_key=SECRET", "api_key=[secret]"},
		{"code=SECRET&state=SECRET2", "code=[secret]&state=[secret]"},
		{"_xsrf=SECRET", "_xsrf=[secret]"},
		{"password=SECRET", "password=[secret]"},
		{"client_secret=SECRET", "client_secret=[secret]"},
		{"%74oken=SECRET", "%74oken=[secret]"},
		{"%2574oken=SECRET", "%2574oken=[secret]"},
		{"t%6fken%zz=SECRET", "t%6fken%zz=[secret]"},
		{"to+ken=ok&tok%65n=SECRET", "to+ken=ok&tok%65n=[secret]"},
		{"a=1;token=SECRET", "a=1;token=[secret]"},
		{"token=SECRET=MORE", "token=[secret]"},
		{"token", "token"},
		{"token=", "token=[secret]"},
		{"path=a%2Fb&kernel_name=python3", "path=a%2Fb&kernel_name=python3"},
		{"&&token=SECRET&&", "&&token=[secret]&&"},
	} {
		if got := logx.RedactQuery(tc.in); got != tc.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedactQuery(f *testing.F) {
	f.Add("a=1", "token", "SECRETVALUE")
	f.Add("x=%zz;y", "Auth", "abc%26def")
	f.Add("", "%74oken", "s3cr3t")
	f.Add("q=token", "my_api_KEY", "==v==")
	f.Fuzz(func(t *testing.T, prefix, key, secret string) {
		// Property 1: every parameter whose key names a secret has its value
		// replaced, however the query was put together.
		q := prefix + "&" + key + "=" + secret
		out := logx.RedactQuery(q)
		if strings.Count(out, "&")+strings.Count(out, ";") != strings.Count(q, "&")+strings.Count(q, ";") {
			t.Fatalf("RedactQuery(%q) = %q: parameters lost or added", q, out)
		}
		for _, part := range strings.FieldsFunc(out, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, ok := strings.Cut(part, "=")
			if ok && sensitive(k) && v != "[secret]" {
				t.Fatalf("RedactQuery(%q) = %q: %q keeps its value", q, out, k)
			}
		}
		// Property 2: a distinctive secret under a sensitive key never shows.
		if strings.ContainsAny(secret, "&;") || len(secret) < 4 || !sensitive(key) || strings.ContainsAny(key, "&;=") {
			return
		}
		if strings.Contains(prefix, secret) || strings.Contains(key, secret) || strings.Contains("[secret]", secret) {
			return
		}
		if strings.Contains(out, secret) {
			t.Fatalf("RedactQuery(%q) = %q shows the secret %q", q, out, secret)
		}
	})
}

// sensitive is the test's own statement of which keys hide their values.
func sensitive(k string) bool {
	forms := []string{strings.ToLower(k)}
	for range 4 {
		d, err := url.QueryUnescape(forms[len(forms)-1])
		if err != nil {
			break
		}
		forms = append(forms, strings.ToLower(d))
	}
	for _, f := range forms {
		for _, w := range []string{"token", "auth", "key", "code", "state", "xsrf", "password", "secret"} {
			if strings.Contains(f, w) {
				return true
			}
		}
	}
	return false
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestRedactAttrs(t *testing.T) {
	const secret = "SECRET0123456789abcdefSECRET"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := logx.New(&buf, format, "debug")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse("http://h/api/kernels?token=" + secret)
			log.Info("attrs",
				"token", secret,
				"Password", secret,
				"authorization", "token "+secret,
				"cookie", "c="+secret,
				"Set-Cookie", "c="+secret,
				"hmac_key", []byte(secret),
				"key", secret,
				"secret", secret,
				"xsrf_token", secret,
				"api-key", secret,
				"url", "http://h/lab?token="+secret+"&x=1",
				"err", fmt.Errorf("get %s: %w", "http://h/?token="+secret, errors.New("refused")),
				"u", u,
				"header", "Authorization: token "+secret,
				"hdr2", "Cookie: _xsrf=x; quire="+secret,
				"words", "the token "+secret+" was wrong",
				"bearer", "Bearer "+secret,
				slog.Group("req", "cookie", secret, "form", "password="+secret),
				"s", stringer("next=/x&_xsrf="+secret),
				"kept", "kernel_id=abc",
			)
			log.Error("failed to fetch http://h/?token=" + secret)
			out := buf.String()
			if strings.Contains(out, secret) {
				t.Fatalf("log holds the secret:\n%s", out)
			}
			for _, want := range []string{"kernel_id=abc", "[redacted]", "[secret]", "failed to fetch"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if format == "json" {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if !json.Valid([]byte(line)) {
						t.Errorf("not JSON: %s", line)
					}
				}
			}
		})
	}
}

func TestScrubKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"kernel started",
		"token mismatch",
		"invalid token",
		"path=/tree/a.ipynb",
		"status: 200",
	} {
		if got := logx.Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q", s, got)
		}
	}
}

func TestAccessLog(t *testing.T) {
	const secret = "SECRETtoken0123456789"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := logx.New(&buf, format, "info")
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/api/contents/", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Set-Cookie", "quire="+secret)
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte("hello"))
			})
			mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "bad", http.StatusBadGateway)
			})
			mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
				w.(http.Flusher).Flush()
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("ResponseController.Flush: %v", err)
				}
			})
			h := logx.AccessLog(log, func(*http.Request) string { return "198.51.100.7" })(mux)

			req := httptest.NewRequest("PUT", "/api/contents/a.ipynb?token="+secret+"&type=notebook", strings.NewReader("body "+secret))
			req.Header.Set("Authorization", "token "+secret)
			req.Header.Set("Cookie", "_xsrf=x; quire="+secret)
			req.Header.Set("Referer", "http://h/lab?token="+secret)
			h.ServeHTTP(httptest.NewRecorder(), req)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/flush", nil))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere?_xsrf="+secret, nil))

			out := buf.String()
			if strings.Contains(out, secret) {
				t.Fatalf("access log holds the secret:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 4 {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			type entry struct {
				Level, Method, Path, Query, IP string
				Status                         int
				Bytes                          int64
			}
			var es []entry
			if format == "json" {
				for _, l := range lines {
					var e entry
					if err := json.Unmarshal([]byte(l), &e); err != nil {
						t.Fatal(err)
					}
					es = append(es, e)
				}
				want := []entry{
					{"INFO", "PUT", "/api/contents/a.ipynb", "token=[secret]&type=notebook", "198.51.100.7", 201, 5},
					{"WARN", "GET", "/boom", "", "198.51.100.7", 502, 4},
					{"INFO", "GET", "/flush", "", "198.51.100.7", 200, 0},
					{"INFO", "GET", "/nowhere", "_xsrf=[secret]", "198.51.100.7", 404, 19},
				}
				for i := range want {
					if es[i] != want[i] {
						t.Errorf("line %d = %+v, want %+v", i, es[i], want[i])
					}
				}
			} else {
				for _, want := range []string{"method=PUT", "path=/api/contents/a.ipynb", `query="token=[secret]&type=notebook"`, "status=201", "bytes=5", "ip=198.51.100.7", "duration="} {
					if !strings.Contains(lines[0], want) {
						t.Errorf("line %q lacks %q", lines[0], want)
					}
				}
			}
		})
	}
}

// TestAccessLogHijack upgrades a real connection through the middleware, as
// a WebSocket library would, both by type assertion and via
// http.ResponseController.
func TestAccessLogHijack(t *testing.T) {
	for _, viaController := range []bool{false, true} {
		var buf bytes.Buffer
		log, _ := logx.New(&buf, "json", "info")
		h := logx.AccessLog(log, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var (
				conn interface{ Close() error }
				brw  *bufio.ReadWriter
				err  error
			)
			if viaController {
				c, b, e := http.NewResponseController(w).Hijack()
				conn, brw, err = c, b, e
			} else {
				c, b, e := w.(http.Hijacker).Hijack()
				conn, brw, err = c, b, e
			}
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhi")
			brw.Flush()
		}))
		done := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer close(done) // after the access log line is written
			h.ServeHTTP(w, r)
		}))
		req, _ := http.NewRequest("GET", srv.URL+"/ws?token=SECRETX", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "test")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		<-done
		srv.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("status %d", resp.StatusCode)
		}
		out := buf.String()
		if !strings.Contains(out, `"status":101`) || !strings.Contains(out, `"hijacked":true`) || strings.Contains(out, "SECRETX") {
			t.Errorf("controller=%v: log %s", viaController, out)
		}
	}
}
