//go:build integration

package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type kernelModel struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	LastActivity   string  `json:"last_activity"`
	ExecutionState string  `json:"execution_state"`
	Connections    *int    `json:"connections"`
	Reason         *string `json:"reason"`
}

type sessionModel struct {
	ID       string       `json:"id"`
	Path     string       `json:"path"`
	Name     *string      `json:"name"`
	Type     string       `json:"type"`
	Kernel   *kernelModel `json:"kernel"`
	Notebook *struct {
		Path string  `json:"path"`
		Name *string `json:"name"`
	} `json:"notebook"`
}

func decode(t *testing.T, what string, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: body is not the expected JSON: %v: %s", what, err, b)
	}
}

// apiJSON sends method path with an optional JSON body and the token.
func apiJSON(t *testing.T, in *instance, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var r *http.Request
	if body != nil {
		r = in.req(method, path, jsonBody(t, body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = in.req(method, path, nil)
	}
	return in.do(r)
}

// startKernel starts a python3 kernel over REST; its process is killed at
// cleanup if still there.
func startKernel(t *testing.T, in *instance) kernelModel {
	t.Helper()
	status, body, h := apiJSON(t, in, "POST", "api/kernels", map[string]any{"name": "python3"})
	if status != 201 {
		t.Fatalf("POST api/kernels: %d %s", status, body)
	}
	var k kernelModel
	decode(t, "POST api/kernels", body, &k)
	if !uuidRE.MatchString(k.ID) {
		t.Fatalf("kernel id %q is not a uuid", k.ID)
	}
	if loc := h.Get("Location"); !strings.HasSuffix(loc, "api/kernels/"+k.ID) {
		t.Errorf("Location %q, want …api/kernels/%s", loc, k.ID)
	}
	kernelPID(t, in, k.ID) // registers the cleanup kill
	return k
}

func getKernel(t *testing.T, in *instance, id string) (int, kernelModel, []byte) {
	t.Helper()
	status, body, _ := apiJSON(t, in, "GET", "api/kernels/"+id, nil)
	var k kernelModel
	if status == 200 {
		decode(t, "GET api/kernels/"+id, body, &k)
	}
	return status, k, body
}

// --- 1. kernelspecs ---------------------------------------------------------

func TestKernelSpecs(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})

	status, body, _ := apiJSON(t, in, "GET", "api/kernelspecs", nil)
	if status != 200 {
		t.Fatalf("GET api/kernelspecs: %d %s", status, body)
	}
	type specModel struct {
		Name string `json:"name"`
		Spec struct {
			Argv        []string `json:"argv"`
			DisplayName string   `json:"display_name"`
			Language    string   `json:"language"`
		} `json:"spec"`
		Resources map[string]string `json:"resources"`
	}
	var list struct {
		Default     string               `json:"default"`
		Kernelspecs map[string]specModel `json:"kernelspecs"`
	}
	decode(t, "GET api/kernelspecs", body, &list)
	if list.Default != "python3" {
		t.Errorf("default %q, want python3", list.Default)
	}
	py, ok := list.Kernelspecs["python3"]
	if !ok {
		t.Fatalf("no python3 in kernelspecs: %s", body)
	}
	if py.Name != "python3" || len(py.Spec.Argv) == 0 || py.Spec.Argv[0] != "/usr/bin/python3" ||
		py.Spec.DisplayName != "Python 3 (ipykernel)" || py.Spec.Language != "python" {
		t.Errorf("python3 model: %+v", py)
	}
	u, _ := urlPath(in.URL)
	for _, key := range []string{"logo-64x64", "logo-32x32", "logo-svg"} {
		want := u + "kernelspecs/python3/"
		if got := py.Resources[key]; !strings.HasPrefix(got, want) {
			t.Errorf("resources[%s] = %q, want under %s", key, got, want)
		}
	}

	status, body, _ = apiJSON(t, in, "GET", "api/kernelspecs/python3", nil)
	var one specModel
	if status != 200 {
		t.Fatalf("GET api/kernelspecs/python3: %d %s", status, body)
	}
	decode(t, "GET api/kernelspecs/python3", body, &one)
	if one.Name != "python3" || one.Spec.Language != "python" {
		t.Errorf("one spec: %+v", one)
	}
	if status, body, _ = apiJSON(t, in, "GET", "api/kernelspecs/nosuch", nil); status != 404 || messageOf(body) == "" {
		t.Errorf("GET api/kernelspecs/nosuch: %d %s, want 404 JSON", status, body)
	}

	status, body, h := in.do(in.req("GET", "kernelspecs/python3/logo-64x64.png", nil))
	if status != 200 || h.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(body), "\x89PNG") {
		t.Errorf("logo: %d %q, %d bytes", status, h.Get("Content-Type"), len(body))
	}
	if cc := h.Get("Cache-Control"); cc != "max-age=2592000" {
		t.Errorf("logo Cache-Control %q, want max-age=2592000", cc)
	}
	if status, _, _ := in.do(in.req("HEAD", "kernelspecs/python3/logo-svg.svg", nil)); status != 200 {
		t.Errorf("HEAD logo-svg.svg: %d", status)
	}
	if status, body, _ := in.do(in.req("GET", "kernelspecs/python3/nosuch.png", nil)); status != 404 {
		t.Errorf("missing resource: %d %s", status, body)
	}

	for _, target := range []string{
		"/kernelspecs/python3/../../../../etc/passwd",
		"/kernelspecs/python3/..%2f..%2f..%2f..%2fetc%2fpasswd",
		"/kernelspecs/python3/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/kernelspecs/%2e%2e/kernel.json",
		"/kernelspecs/python3/%2e%2e",
		"/kernelspecs/..%2f..%2f..%2f..%2fetc/passwd",
		"/kernelspecs/python3/%2fetc%2fpasswd",
	} {
		code, resp := rawRequest(t, in, "GET", strings.TrimSuffix(u, "/")+target, nil)
		if code == 200 || strings.Contains(resp, "root:x:0:0") || strings.Contains(resp, "ipykernel_launcher") {
			t.Errorf("GET %s: %d, leaks: %.300q", target, code, resp)
		}
	}
}

// urlPath returns the path part of the base URL ("/" or "/base/").
func urlPath(base string) (string, error) {
	i := strings.Index(base, "://")
	rest := base[i+3:]
	j := strings.Index(rest, "/")
	if j < 0 {
		return "/", nil
	}
	return rest[j:], nil
}

func TestKernelSpecPathBrokenAndExtra(t *testing.T) {
	needIPyKernel(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken", "kernel.json")
	os.MkdirAll(filepath.Dir(broken), 0o755)
	os.WriteFile(broken, []byte(`{"argv": ["x", `), 0o644)
	os.MkdirAll(filepath.Join(dir, "Fake"), 0o755)
	os.WriteFile(filepath.Join(dir, "Fake", "kernel.json"), []byte(`{"argv": ["/bin/false", "{connection_file}"], "display_name": "Fake Kernel", "language": "fake"}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "gone"), 0o755)
	os.WriteFile(filepath.Join(dir, "gone", "kernel.json"), []byte(`{"argv": ["/opt/uninstalled-env/bin/python", "{connection_file}"], "display_name": "Gone", "language": "python"}`), 0o644)

	in := startQuire(t, opts{args: []string{"--kernel-spec-path", dir}})
	status, body, _ := apiJSON(t, in, "GET", "api/kernelspecs", nil)
	if status != 200 {
		t.Fatalf("GET api/kernelspecs: %d %s", status, body)
	}
	var list struct {
		Default     string                     `json:"default"`
		Kernelspecs map[string]json.RawMessage `json:"kernelspecs"`
	}
	decode(t, "kernelspecs", body, &list)
	if _, ok := list.Kernelspecs["broken"]; ok {
		t.Errorf("broken spec listed: %s", body)
	}
	if _, ok := list.Kernelspecs["fake"]; !ok {
		t.Errorf("fake spec (dir Fake, lowercased) not listed: %s", body)
	}
	if _, ok := list.Kernelspecs["python3"]; !ok || list.Default != "python3" {
		t.Errorf("python3 should still be listed and default: %s", body)
	}
	// A spec whose program is gone (an uninstalled environment) is refused
	// with what to do, not a 500, for kernels and sessions alike.
	for _, req := range []struct {
		path string
		body map[string]any
	}{
		{"api/kernels", map[string]any{"name": "gone"}},
		{"api/sessions", map[string]any{"path": "g.ipynb", "type": "notebook", "kernel": map[string]any{"name": "gone"}}},
	} {
		status, b, _ := apiJSON(t, in, "POST", req.path, req.body)
		var e struct {
			Message string `json:"message"`
		}
		if status != 501 {
			t.Errorf("POST %s with a missing program: %d %s, want 501", req.path, status, b)
		} else if decode(t, "501 body", b, &e); !strings.Contains(e.Message, "Kernel gone cannot start: its program python was not found") || strings.Contains(e.Message, "/opt") {
			t.Errorf("POST %s with a missing program: %s", req.path, b)
		}
	}
	if status, b, _ := apiJSON(t, in, "GET", "api/sessions", nil); status != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("sessions after failed starts: %d %s", status, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(in.Stderr.String(), broken) {
		if time.Now().After(deadline) {
			t.Errorf("the log never names the broken spec file %s", broken)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- 2. kernels REST --------------------------------------------------------

func TestKernelsREST(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})

	k := startKernel(t, in)
	if k.Name != "python3" || k.ExecutionState == "" || k.Connections == nil || *k.Connections != 0 || k.LastActivity == "" {
		t.Errorf("start model: %+v", k)
	}
	pid := kernelPID(t, in, k.ID)

	status, body, _ := apiJSON(t, in, "GET", "api/kernels", nil)
	var list []kernelModel
	if status != 200 {
		t.Fatalf("GET api/kernels: %d %s", status, body)
	}
	decode(t, "GET api/kernels", body, &list)
	if len(list) != 1 || list[0].ID != k.ID {
		t.Errorf("list: %s", body)
	}
	if status, got, body := getKernel(t, in, k.ID); status != 200 || got.ID != k.ID || got.Name != "python3" {
		t.Errorf("GET one: %d %s", status, body)
	}

	if status, body, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/interrupt", nil); status != 204 {
		t.Errorf("interrupt: %d %s", status, body)
	}
	status, body, _ = apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/restart", nil)
	if status != 200 {
		t.Fatalf("restart: %d %s", status, body)
	}
	var rk kernelModel
	decode(t, "restart", body, &rk)
	if rk.ID != k.ID {
		t.Errorf("restart changed the id: %s → %s", k.ID, rk.ID)
	}
	waitGone(t, pid, 10*time.Second, "old process after restart")
	pid2 := kernelPID(t, in, k.ID)
	if pid2 == pid {
		t.Errorf("restart kept pid %d", pid)
	}

	if status, body, _ := apiJSON(t, in, "DELETE", "api/kernels/"+k.ID, nil); status != 204 {
		t.Errorf("DELETE: %d %s", status, body)
	}
	if status, _, body := getKernel(t, in, k.ID); status != 404 || messageOf(body) == "" {
		t.Errorf("GET after DELETE: %d %s, want 404 JSON", status, body)
	}
	waitGone(t, pid2, 10*time.Second, "kernel process after DELETE")

	unknown := wire.NewID()
	for _, tc := range []struct{ method, path string }{
		{"GET", "api/kernels/" + unknown},
		{"DELETE", "api/kernels/" + unknown},
		{"POST", "api/kernels/" + unknown + "/interrupt"},
		{"POST", "api/kernels/" + unknown + "/restart"},
	} {
		if status, body, _ := apiJSON(t, in, tc.method, tc.path, nil); status != 404 || messageOf(body) == "" {
			t.Errorf("%s %s: %d %s, want 404 JSON", tc.method, tc.path, status, body)
		}
	}

	status, body, _ = apiJSON(t, in, "POST", "api/kernels", map[string]any{"name": "nosuchspec"})
	if status < 400 || status > 599 || !strings.Contains(messageOf(body), "nosuchspec") {
		t.Errorf("POST unknown spec: %d %s, want a 4xx/5xx JSON error naming nosuchspec", status, body)
	}
	if status, _, _ := apiJSON(t, in, "GET", "api/status", nil); status != 200 {
		t.Errorf("server unhealthy after unknown spec: %d", status)
	}
}

// TestKernelIdleWithoutClient: a kernel that has started and answered
// kernel_info is "idle" in the REST model although no WebSocket was ever
// opened to it, both after a start and after a restart.
func TestKernelIdleWithoutClient(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	waitIdle := func(when string) {
		t.Helper()
		var last kernelModel
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			status, got, body := getKernel(t, in, k.ID)
			if status != 200 {
				t.Fatalf("%s: GET api/kernels/%s: %d %s", when, k.ID, status, body)
			}
			last = got
			if got.ExecutionState == "idle" {
				if got.Connections == nil || *got.Connections != 0 {
					t.Errorf("%s: connections = %v, want 0", when, got.Connections)
				}
				return
			}
		}
		t.Fatalf("%s: execution_state still %q after 60 s with no client", when, last.ExecutionState)
	}
	waitIdle("after start")
	if status, body, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/restart", nil); status != 200 {
		t.Fatalf("restart: %d %s", status, body)
	}
	waitIdle("after restart")
}

// --- 3. channels WebSocket --------------------------------------------------

func TestChannelHandshake(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	sess := wire.NewID()

	// No credentials: refused before the upgrade.
	if w, resp, err := dialWS(t, in, k.ID, sess, dialOpts{}); err == nil {
		w.close()
		t.Errorf("dial without credentials succeeded (%d)", resp.StatusCode)
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("dial without credentials: %v, resp %v; want HTTP 403", err, resp)
	}
	// Unknown kernel.
	if w, resp, err := dialWS(t, in, wire.NewID(), sess, dialOpts{token: true}); err == nil {
		w.close()
		t.Errorf("dial to unknown kernel succeeded")
	} else if resp == nil || resp.StatusCode != 404 {
		t.Errorf("dial to unknown kernel: %v; want HTTP 404", err)
	}

	// Token: 101, v1 when offered.
	w, resp, err := dialWS(t, in, k.ID, sess, dialOpts{token: true})
	if err != nil {
		t.Fatalf("dial with token: %v", err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Protocol") != "v1.kernel.websocket.jupyter.org" || !w.V1 {
		t.Errorf("v1 offer: %d, protocol %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	w.close()

	// Legacy when no subprotocol is offered, or only an unknown one.
	for _, offer := range [][]string{nil, {"something.else"}} {
		o := dialOpts{token: true, legacy: true, protocol: offer}
		w, resp, err = dialWS(t, in, k.ID, wire.NewID(), o)
		if err != nil {
			t.Fatalf("legacy dial %v: %v", offer, err)
		}
		if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Protocol") != "" || w.V1 {
			t.Errorf("offer %v: %d, protocol %q; want legacy", offer, resp.StatusCode, resp.Header.Get("Sec-WebSocket-Protocol"))
		}
		w.close()
	}

	// Cookie only: same origin works, cross origin is refused.
	c := in.client()
	if status, _, _ := send(t, c, browserGet(in, "tree?token="+in.Token)); status != 302 {
		t.Fatalf("cookie login: %d", status)
	}
	origin := strings.TrimSuffix(in.URL, "/")
	if o, _ := urlPath(in.URL); o != "/" {
		origin = strings.TrimSuffix(in.URL, o)
	}
	w, resp, err = dialWS(t, in, k.ID, wire.NewID(), dialOpts{client: c, header: http.Header{"Origin": {origin}}})
	if err != nil {
		t.Errorf("same-origin cookie dial: %v (resp %v)", err, resp)
	} else {
		w.close()
	}
	if w, resp, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{client: c, header: http.Header{"Origin": {"https://evil.example"}}}); err == nil {
		w.close()
		t.Errorf("cross-origin cookie dial succeeded (%d)", resp.StatusCode)
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("cross-origin cookie dial: %v; want HTTP 403", err)
	}
}

func TestChannelMessages(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	for _, legacy := range []bool{false, true} {
		name := "v1"
		if legacy {
			name = "legacy"
		}
		t.Run(name, func(t *testing.T) {
			w := mustDial(t, in, k.ID, wire.NewID(), legacy)
			if w.V1 == legacy {
				t.Fatalf("negotiated v1=%v", w.V1)
			}

			id := w.send("shell", "kernel_info_request", map[string]any{})
			m, _ := w.waitFor(30*time.Second, "kernel_info_reply", func(m kmsg) bool {
				return m.Channel == "shell" && m.Header.MsgType == "kernel_info_reply" && m.Parent.MsgID == id
			})
			if m.str("status") != "ok" || !strings.HasPrefix(m.str("protocol_version"), "5.") {
				t.Errorf("kernel_info_reply: %s", m.Raw.Content)
			}
			if m.Parent.Session != w.Session {
				t.Errorf("reply parent session %q, want %q", m.Parent.Session, w.Session)
			}

			r := w.execute("print(6*7)", 30*time.Second)
			if r.Stdout != "42\n" || r.Reply.str("status") != "ok" {
				t.Errorf("print(6*7): stdout %q, reply %s", r.Stdout, r.Reply.Raw.Content)
			}

			// stop_on_error off: with it, ipykernel aborts the requests that
			// reach it before it is done with the error, and on a busy
			// machine the next request here can be one. Aborting is the
			// kernel's business, not what this test checks.
			errReq := executeContent("1/0", false)
			errReq["stop_on_error"] = false
			r = w.collect(w.send("shell", "execute_request", errReq), 30*time.Second)
			if len(r.Errors) != 1 || r.Errors[0].str("ename") != "ZeroDivisionError" || r.Reply.str("status") != "error" {
				t.Errorf("1/0: errors %v, reply %s", r.Errors, r.Reply.Raw.Content)
			}

			// stdin
			id = w.send("shell", "execute_request", executeContent("x = input('name? ')\nprint('hello', x)", true))
			req, _ := w.waitFor(30*time.Second, "input_request", func(m kmsg) bool {
				return m.Channel == "stdin" && m.Header.MsgType == "input_request"
			})
			if req.str("prompt") != "name? " {
				t.Errorf("input_request prompt %q", req.str("prompt"))
			}
			w.send("stdin", "input_reply", map[string]any{"value": "quire"})
			r = w.collect(id, 30*time.Second)
			if !strings.Contains(r.Stdout, "quire") {
				t.Errorf("after input_reply: stdout %q", r.Stdout)
			}

			// interrupt over REST (short sleeps: a SIGINT that lands on another of
			// ipykernel's threads waits for the main thread's next bytecode)
			id = w.send("shell", "execute_request", executeContent("import time\nprint('sleeping', flush=True)\nfor _ in range(600): time.sleep(0.05)", false))
			w.waitFor(30*time.Second, "busy for the sleep", func(m kmsg) bool {
				return m.Parent.MsgID == id && m.Header.MsgType == "status" && m.str("execution_state") == "busy"
			})
			// The cell runs (the interrupt raises in it, not before).
			w.waitFor(30*time.Second, "the cell's print before its sleep", func(m kmsg) bool {
				return m.Parent.MsgID == id && m.Header.MsgType == "stream" && m.str("text") == "sleeping\n"
			})
			start := time.Now()
			if status, body, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/interrupt", nil); status != 204 {
				t.Fatalf("interrupt: %d %s", status, body)
			}
			// One collect for the error and the reply: they come on different
			// channels (iopub, shell), in either order, and waiting for the
			// error alone would throw away a reply that came first.
			r = w.collect(id, 10*time.Second)
			if len(r.Errors) != 1 || r.Errors[0].str("ename") != "KeyboardInterrupt" {
				t.Errorf("interrupt produced errors %v, reply %s", r.Errors, r.Reply.Raw.Content)
			}
			t.Logf("interrupt took %s", time.Since(start))
		})
	}
}

// --- 4. several clients, offline buffering -----------------------------------

func TestChannelTwoClientsAndReplay(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)

	a := mustDial(t, in, k.ID, wire.NewID(), false)
	b := mustDial(t, in, k.ID, wire.NewID(), true)
	if _, m, _ := getKernel(t, in, k.ID); m.Connections == nil || *m.Connections != 2 {
		t.Errorf("connections with two clients: %+v", m.Connections)
	}
	id := a.send("shell", "execute_request", executeContent("print('for everyone')", false))
	ra := a.collect(id, 30*time.Second)
	if ra.Stdout != "for everyone\n" {
		t.Errorf("client A stdout %q", ra.Stdout)
	}
	got := ""
	b.waitFor(30*time.Second, "client B: iopub idle for A's execution", func(m kmsg) bool {
		if m.Parent.MsgID != id || m.Channel != "iopub" {
			return false
		}
		if m.Header.MsgType == "stream" {
			got += m.str("text")
		}
		return m.Header.MsgType == "status" && m.str("execution_state") == "idle"
	})
	if got != "for everyone\n" {
		t.Errorf("client B iopub stdout %q", got)
	}
	b.close()
	a.close()

	// Output while no client is connected is replayed to the same session.
	sess := wire.NewID()
	c := mustDial(t, in, k.ID, sess, false)
	sent := time.Now()
	id = c.send("shell", "execute_request", executeContent("import time\nfor i in range(3): print(i); time.sleep(0.3)", false))
	c.close()
	// The cell ends while nobody listens: the kernel is idle again with
	// activity later than the cell's last print (0.6 s in).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, m, b := getKernel(t, in, k.ID)
		last, err := time.Parse(time.RFC3339Nano, m.LastActivity)
		if m.ExecutionState == "idle" && err == nil && last.After(sent.Add(600*time.Millisecond)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the offline cell did not end within 20 s: %s", b)
		}
	}
	c2 := mustDial(t, in, k.ID, sess, false)
	var out string
	c2.waitFor(15*time.Second, "replayed idle status of the offline execution", func(m kmsg) bool {
		if m.Parent.MsgID != id {
			return false
		}
		if m.Header.MsgType == "stream" {
			out += m.str("text")
		}
		return m.Channel == "iopub" && m.Header.MsgType == "status" && m.str("execution_state") == "idle"
	})
	// "0" may reach the first socket before its close completes; what was
	// printed after that must all be replayed, in order.
	if out != "0\n1\n2\n" && out != "1\n2\n" {
		t.Errorf("replayed stdout %q, want 0 1 2", out)
	}

	// A second socket with the same session replaces the first, which is
	// told to reconnect (not 1000/1001, which JupyterLab treats as final).
	sess = wire.NewID()
	first := mustDial(t, in, k.ID, sess, false)
	second := mustDial(t, in, k.ID, sess, false)
	select {
	case <-first.done:
		code := websocket.CloseStatus(first.readErr)
		if code == websocket.StatusNormalClosure || code == websocket.StatusGoingAway {
			t.Errorf("replaced socket closed with %d; JupyterLab would not reconnect", code)
		}
		t.Logf("replaced socket closed: %v", first.readErr)
	case <-time.After(10 * time.Second):
		t.Errorf("the first socket of session %s stayed open after a second connected", sess)
	}
	if r := second.execute("print('still here')", 30*time.Second); r.Stdout != "still here\n" {
		t.Errorf("replacing socket: stdout %q", r.Stdout)
	}
}

// --- 5. sessions ------------------------------------------------------------

func TestSessions(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	body := map[string]any{"path": "a.ipynb", "type": "notebook", "name": "a.ipynb", "kernel": map[string]any{"name": "python3"}}
	status, b, h := apiJSON(t, in, "POST", "api/sessions", body)
	if status != 201 {
		t.Fatalf("POST api/sessions: %d %s", status, b)
	}
	var s sessionModel
	decode(t, "POST api/sessions", b, &s)
	if !uuidRE.MatchString(s.ID) || s.Path != "a.ipynb" || s.Type != "notebook" || s.Kernel == nil || s.Kernel.Name != "python3" ||
		s.Notebook == nil || s.Notebook.Path != "a.ipynb" {
		t.Fatalf("session model: %s", b)
	}
	if loc := h.Get("Location"); !strings.HasSuffix(loc, "api/sessions/"+s.ID) {
		t.Errorf("Location %q", loc)
	}
	oldKernel := s.Kernel.ID
	oldPID := kernelPID(t, in, oldKernel)

	status, b, _ = apiJSON(t, in, "POST", "api/sessions", body)
	var again sessionModel
	if status != 201 {
		t.Errorf("second POST: %d %s", status, b)
	} else if decode(t, "second POST", b, &again); again.ID != s.ID || again.Kernel == nil || again.Kernel.ID != oldKernel {
		t.Errorf("second POST for the same path made another session: %s", b)
	}
	if status, b, _ = apiJSON(t, in, "GET", "api/kernels", nil); status == 200 {
		var list []kernelModel
		decode(t, "kernels", b, &list)
		if len(list) != 1 {
			t.Errorf("kernels after two POSTs for one path: %s", b)
		}
	}

	status, b, _ = apiJSON(t, in, "PATCH", "api/sessions/"+s.ID, map[string]any{"path": "b.ipynb"})
	var p sessionModel
	if status != 200 {
		t.Errorf("PATCH path: %d %s", status, b)
	} else if decode(t, "PATCH path", b, &p); p.Path != "b.ipynb" || p.Kernel == nil || p.Kernel.ID != oldKernel {
		t.Errorf("PATCH path: %s", b)
	}

	status, b, _ = apiJSON(t, in, "PATCH", "api/sessions/"+s.ID, map[string]any{"kernel": map[string]any{"name": "python3"}})
	if status != 200 {
		t.Fatalf("PATCH kernel: %d %s", status, b)
	}
	decode(t, "PATCH kernel", b, &p)
	if p.Kernel == nil || p.Kernel.ID == oldKernel || !uuidRE.MatchString(p.Kernel.ID) {
		t.Fatalf("PATCH kernel did not change the kernel: %s", b)
	}
	newKernel := p.Kernel.ID
	newPID := kernelPID(t, in, newKernel)
	if status, _, b := getKernel(t, in, oldKernel); status != 404 {
		t.Errorf("old kernel after PATCH kernel: %d %s, want 404", status, b)
	}
	waitGone(t, oldPID, 10*time.Second, "old kernel process after PATCH kernel")

	if status, b, _ = apiJSON(t, in, "GET", "api/sessions/"+s.ID, nil); status != 200 {
		t.Errorf("GET session: %d %s", status, b)
	}
	if status, b, _ = apiJSON(t, in, "DELETE", "api/sessions/"+s.ID, nil); status != 204 {
		t.Errorf("DELETE session: %d %s", status, b)
	}
	if status, _, b := getKernel(t, in, newKernel); status != 404 {
		t.Errorf("kernel after DELETE session: %d %s, want 404", status, b)
	}
	waitGone(t, newPID, 10*time.Second, "kernel process after DELETE session")
	if status, b, _ = apiJSON(t, in, "GET", "api/sessions/"+s.ID, nil); status != 404 {
		t.Errorf("GET deleted session: %d %s", status, b)
	}

	status, b, _ = apiJSON(t, in, "POST", "api/sessions", map[string]any{"path": "c.ipynb", "type": "notebook", "kernel": map[string]any{"name": "nosuchspec"}})
	var e struct {
		Message      string `json:"message"`
		ShortMessage string `json:"short_message"`
	}
	if status != 501 {
		t.Errorf("unknown kernel name: %d %s, want 501", status, b)
	} else if decode(t, "501 body", b, &e); !strings.Contains(e.Message, "nosuchspec") || e.ShortMessage == "" {
		t.Errorf("unknown kernel name body: %s", b)
	}
}

// --- 6. a kernel that dies --------------------------------------------------

func TestKernelKilled(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	w := mustDial(t, in, k.ID, wire.NewID(), false)
	if r := w.execute("print('alive')", 30*time.Second); r.Stdout != "alive\n" {
		t.Fatalf("before kill: %q", r.Stdout)
	}
	pid := kernelPID(t, in, k.ID)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, 10*time.Second, "SIGKILLed kernel (reaped)")

	deadline := time.Now().Add(10 * time.Second)
	for {
		status, m, b := getKernel(t, in, k.ID)
		if status == 200 && m.ExecutionState == "dead" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("GET after SIGKILL: %d %s; want execution_state dead within 10 s", status, b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.waitFor(10*time.Second, "iopub status dead", func(m kmsg) bool {
		return m.Channel == "iopub" && m.Header.MsgType == "status" && m.str("execution_state") == "dead"
	})

	// Interrupting it, or opening a new WebSocket to it, is refused as in
	// conflict with its state, saying what to do.
	status, b, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/interrupt", nil)
	if status != 409 || !strings.Contains(string(b), "Kernel is dead: restart it") {
		t.Errorf("interrupt a dead kernel: %d %s, want 409 saying to restart it", status, b)
	}
	if _, resp, err := dialWS(t, in, k.ID, wire.NewID(), dialOpts{token: true}); err == nil || resp == nil || resp.StatusCode != 409 {
		t.Errorf("WebSocket to a dead kernel: %v %v, want a refused handshake with 409", resp, err)
	}

	status, b, _ = apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/restart", nil)
	if status != 200 {
		t.Fatalf("restart a dead kernel: %d %s", status, b)
	}
	kernelPID(t, in, k.ID)
	w2 := mustDial(t, in, k.ID, wire.NewID(), false)
	if r := w2.execute("print('back')", 30*time.Second); r.Stdout != "back\n" {
		t.Errorf("after restart: %q", r.Stdout)
	}
}

// --- 7. SIGTERM with kernels ------------------------------------------------

func TestSIGTERMStopsKernels(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k1, k2 := startKernel(t, in), startKernel(t, in)
	p1, p2 := kernelPID(t, in, k1.ID), kernelPID(t, in, k2.ID)
	w := mustDial(t, in, k1.ID, wire.NewID(), false) // a live connection, too
	w.execute("print(1)", 30*time.Second)

	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := in.waitExit(20 * time.Second); err != nil {
		t.Errorf("quire exit after SIGTERM: %v, want status 0", err)
	}
	waitGone(t, p1, 5*time.Second, "kernel 1 after quire exited")
	waitGone(t, p2, 5*time.Second, "kernel 2 after quire exited")
	for _, f := range []string{"kernel-" + k1.ID + ".json", "kernel-" + k2.ID + ".json"} {
		if matches, _ := filepath.Glob(filepath.Join(in.RuntimeDir, "*", f)); len(matches) > 0 {
			t.Errorf("connection file left behind: %v", matches)
		}
		if fileExists(filepath.Join(in.RuntimeDir, f)) {
			t.Errorf("connection file left behind: %s", f)
		}
	}
}

// TestChannelRichOutputs: execute_result and display_data (with a binary
// buffer-free rich bundle) arrive intact over both protocols.
func TestChannelRichOutputs(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	for _, legacy := range []bool{false, true} {
		w := mustDial(t, in, k.ID, wire.NewID(), legacy)
		r := w.execute("from IPython.display import display, HTML, Markdown\ndisplay(HTML('<b>bold</b>'), Markdown('*md*'))\n6*7", 30*time.Second)
		var html, md, result string
		for _, m := range r.All {
			data, _ := m.Content["data"].(map[string]any)
			switch m.Header.MsgType {
			case "display_data":
				if s, ok := data["text/html"].(string); ok {
					html = s
				}
				if s, ok := data["text/markdown"].(string); ok {
					md = s
				}
			case "execute_result":
				result, _ = data["text/plain"].(string)
			}
		}
		if html != "<b>bold</b>" || md != "*md*" || result != "42" {
			t.Errorf("legacy=%v: html %q markdown %q result %q (messages %v)", legacy, html, md, result, r.All)
		}
		w.close()
	}
}

// A notebook's kernel starts in the notebook's directory inside the root,
// and one for a path whose directory does not exist in the nearest one
// that does; JPY_SESSION_NAME carries the path, as in jupyter_server.
func TestKernelWorkingDirectory(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	if err := os.MkdirAll(filepath.Join(in.Root, "proj", "nbs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"proj/nbs/a.ipynb", filepath.Join(in.Root, "proj", "nbs")},
		{"proj/missing/b.ipynb", filepath.Join(in.Root, "proj")},
	} {
		status, b, _ := apiJSON(t, in, "POST", "api/sessions", map[string]any{"path": tc.path, "type": "notebook", "kernel": map[string]any{"name": "python3"}})
		var s sessionModel
		if status != 201 {
			t.Fatalf("POST session %s: %d %s", tc.path, status, b)
		}
		decode(t, "session", b, &s)
		w := mustDial(t, in, s.Kernel.ID, wire.NewID(), false)
		r := w.execute("import os; print(os.getcwd()); print(os.environ.get('JPY_SESSION_NAME'))", 30*time.Second)
		if want := tc.want + "\n" + tc.path + "\n"; r.Stdout != want {
			t.Errorf("kernel for %s: cwd and JPY_SESSION_NAME %q, want %q", tc.path, r.Stdout, want)
		}
	}
}
