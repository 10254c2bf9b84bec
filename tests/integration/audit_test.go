//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/kernel/wire"
	"quire/internal/wsbridge"
)

// auditRecord is one line of the audit log, decoded.
type auditRecord map[string]any

func (r auditRecord) str(k string) string { s, _ := r[k].(string); return s }

// readAudit decodes every line of the audit log at path; each must be a
// JSON object with the common fields.
func readAudit(t *testing.T, path string) []auditRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read audit log: %v", err)
	}
	var out []auditRecord
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %d is not JSON: %q", i+1, line)
		}
		for _, k := range []string{"time", "event", "user", "client", "request_id", "outcome", "prev"} {
			if _, ok := r[k]; !ok {
				t.Errorf("audit line %d has no %q: %s", i+1, k, line)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", r.str("time")); err != nil {
			t.Errorf("audit line %d: time %q is not RFC 3339 UTC with microseconds", i+1, r.str("time"))
		}
		out = append(out, r)
	}
	return out
}

// oneAudit returns the one record of event whose fields include want
// (values compared as JSON), failing unless there is exactly one. It
// waits up to 10 s for it (kernel deaths and culls come asynchronously).
func oneAudit(t *testing.T, path, event string, want map[string]any) auditRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found []auditRecord
		for _, r := range readAudit(t, path) {
			if r.str("event") == event && matches(r, want) {
				found = append(found, r)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if len(found) > 1 || time.Now().After(deadline) {
			data, _ := os.ReadFile(path)
			t.Fatalf("%d %s records with %v, want 1; the log:\n%s", len(found), event, want, data)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func matches(r auditRecord, want map[string]any) bool {
	for k, v := range want {
		a, _ := json.Marshal(r[k])
		b, _ := json.Marshal(v)
		if !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// verifyAudit runs `quire audit verify files…` and returns its exit code
// and output.
func verifyAudit(t *testing.T, files ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(quireBin(t), append([]string{"audit", "verify"}, files...)...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestAuditEvents triggers each audit event once and finds exactly one
// record of it with the right fields; then the whole run's log is searched
// for every secret and marker it saw (issue #21), and verified.
func TestAuditEvents(t *testing.T) {
	token := "tok" + randomHex(20)
	password := "pw" + randomHex(8)
	fileMarker := "FILEMARK" + randomHex(8)
	codeMarker := "CODEMARK" + randomHex(8)
	logPath := filepath.Join(t.TempDir(), "audit.log")
	in := startQuire(t, opts{
		args: []string{"--audit-log", logPath, "--audit-execute=hash", "--audit-refusals", "100", "--session-idle", "2s"},
		env:  []string{"QUIRE_TOKEN=" + token, "QUIRE_PASSWORD=" + password},
	})
	st, err := os.Stat(logPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("audit log: %v, mode %v; want 0600", err, st.Mode())
	}
	start := oneAudit(t, logPath, "server.start", map[string]any{"auth": "token+password", "audit_execute": "hash"})
	if start.str("version") == "" || start["port"] != float64(in.Port) {
		t.Errorf("server.start: %v", start)
	}

	var cookies []string
	t.Run("login", func(t *testing.T) {
		c := in.client()
		if loginWithPassword(t, in, c, password+"x") {
			t.Fatal("wrong password accepted")
		}
		oneAudit(t, logPath, "login.failure", map[string]any{"outcome": "denied", "client": "127.0.0.1"})
		if !loginWithPassword(t, in, c, password) {
			t.Fatal("login failed")
		}
		ok := oneAudit(t, logPath, "login.success", map[string]any{"method": "password", "outcome": "ok"})
		if ok.str("user") == "" || !hex16.MatchString(ok.str("session")) || !hex16.MatchString(ok.str("request_id")) {
			t.Errorf("login.success: %v", ok)
		}
		u, _ := url.Parse(in.URL)
		for _, ck := range c.Jar.Cookies(u) {
			cookies = append(cookies, ck.Value)
		}
		// A cookie request names the session's user.
		r := in.req("GET", "api/contents", nil)
		status, _, h := send(t, c, r)
		if status != 200 || !hex16.MatchString(h.Get("X-Request-Id")) {
			t.Fatalf("GET api/contents with the cookie: %d, X-Request-Id %q", status, h.Get("X-Request-Id"))
		}
		send(t, c, in.req("GET", "logout", nil))
		oneAudit(t, logPath, "logout", map[string]any{"user": ok.str("user"), "session": ok.str("session")})

		// A session unused for --session-idle expires.
		c2 := in.client()
		if !loginWithPassword(t, in, c2, password) {
			t.Fatal("second login failed")
		}
		var s2 auditRecord
		for _, r := range readAudit(t, logPath) {
			if r.str("event") == "login.success" {
				s2 = r
			}
		}
		time.Sleep(2500 * time.Millisecond)
		if status, _, _ := send(t, c2, in.req("GET", "api/contents", nil)); status != 403 {
			t.Fatalf("expired session: %d", status)
		}
		oneAudit(t, logPath, "session.expired", map[string]any{"reason": "idle", "session": s2.str("session"), "user": s2.str("user")})
	})

	t.Run("refusals", func(t *testing.T) {
		anon := &http.Client{Timeout: 30 * time.Second}
		send(t, anon, in.req("GET", "api/kernels", nil))
		oneAudit(t, logPath, "request.refused", map[string]any{"reason": "auth", "path": "/api/kernels", "outcome": "denied"})

		r := in.req("GET", "api/status", nil)
		r.Header.Set("Origin", "http://evil.example")
		if status, _, _ := send(t, anon, r); status != 403 {
			t.Fatalf("cross-origin: %d", status)
		}
		oneAudit(t, logPath, "request.refused", map[string]any{"reason": "origin", "origin": "http://evil.example"})

		r = in.req("GET", "api/status", nil)
		r.Host = "evil.example"
		if status, _, _ := send(t, anon, r); status != 403 {
			t.Fatalf("foreign Host: %d", status)
		}
		oneAudit(t, logPath, "request.refused", map[string]any{"reason": "host", "host": "evil.example"})

		c := in.client()
		if !loginWithPassword(t, in, c, password) {
			t.Fatal("login failed")
		}
		r = in.req("POST", "api/contents", strings.NewReader(`{"type":"file"}`))
		if status, _, _ := send(t, c, r); status != 403 {
			t.Fatalf("POST without XSRF: %d", status)
		}
		oneAudit(t, logPath, "request.refused", map[string]any{"reason": "xsrf", "method": "POST", "path": "/api/contents"})

		// The login form without its _xsrf field.
		r = in.req("POST", "login", strings.NewReader(url.Values{"password": {password}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, _, _ := send(t, in.client(), r); status != 403 {
			t.Fatalf("login form without _xsrf: %d", status)
		}
		oneAudit(t, logPath, "request.refused", map[string]any{"reason": "xsrf", "method": "POST", "path": "/login"})
	})

	t.Run("files", func(t *testing.T) {
		put := func(path, body string) int {
			st, b, _ := in.do(func() *http.Request {
				r := in.req("PUT", "api/contents/"+path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				return r
			}())
			if st >= 300 {
				t.Fatalf("PUT %s: %d %s", path, st, b)
			}
			return st
		}
		put("a.txt", `{"type":"file","format":"text","content":"first `+fileMarker+`"}`)
		up := oneAudit(t, logPath, "file.upload", map[string]any{"path": "a.txt", "action": "upload",
			"schema": "https://events.jupyter.org/jupyter_server/contents_service/v1"})
		if up.str("user") == "" || up.str("client") != "127.0.0.1" {
			t.Errorf("file.upload: %v", up)
		}
		put("a.txt", `{"type":"file","format":"text","content":"second `+fileMarker+`"}`)
		oneAudit(t, logPath, "file.save", map[string]any{"path": "a.txt", "action": "save"})

		put("big.txt", `{"type":"file","format":"text","content":"part1","chunk":1}`)
		put("big.txt", `{"type":"file","format":"text","content":"part2","chunk":-1}`)
		oneAudit(t, logPath, "file.upload", map[string]any{"path": "big.txt"})

		st, b, _ := apiJSON(t, in, "POST", "api/contents", map[string]any{"type": "notebook"})
		if st != 201 {
			t.Fatalf("POST new notebook: %d %s", st, b)
		}
		oneAudit(t, logPath, "file.create", map[string]any{"path": "Untitled.ipynb", "type": "notebook"})

		if st, b, _ := apiJSON(t, in, "PATCH", "api/contents/a.txt", map[string]any{"path": "b.txt"}); st != 200 {
			t.Fatalf("rename: %d %s", st, b)
		}
		oneAudit(t, logPath, "file.rename", map[string]any{"path": "b.txt", "source_path": "a.txt"})

		if st, b, _ := apiJSON(t, in, "POST", "api/contents", map[string]any{"copy_from": "b.txt"}); st != 201 {
			t.Fatalf("copy: %d %s", st, b)
		}
		oneAudit(t, logPath, "file.copy", map[string]any{"path": "b-Copy1.txt", "source_path": "b.txt"})

		st, b, _ = apiJSON(t, in, "POST", "api/contents/b.txt/checkpoints", nil)
		var cp struct{ ID string }
		if st != 201 || json.Unmarshal(b, &cp) != nil {
			t.Fatalf("checkpoint: %d %s", st, b)
		}
		if st, b, _ := apiJSON(t, in, "POST", "api/contents/b.txt/checkpoints/"+cp.ID, nil); st != 204 {
			t.Fatalf("restore: %d %s", st, b)
		}
		oneAudit(t, logPath, "checkpoint.restore", map[string]any{"path": "b.txt", "checkpoint_id": cp.ID})

		if st, b, _ := apiJSON(t, in, "DELETE", "api/contents/b-Copy1.txt", nil); st != 204 {
			t.Fatalf("delete: %d %s", st, b)
		}
		oneAudit(t, logPath, "file.delete", map[string]any{"path": "b-Copy1.txt", "outcome": "ok"})

		if st, b, _ := apiJSON(t, in, "DELETE", "api/contents/nothere.txt", nil); st != 404 {
			t.Fatalf("delete missing: %d %s", st, b)
		}
		oneAudit(t, logPath, "file.delete", map[string]any{"path": "nothere.txt", "outcome": "error", "error": "not found"})

		if st, b, _ := in.do(in.req("POST", "api/contents/Untitled.ipynb/trust", nil)); st >= 300 {
			t.Fatalf("trust: %d %s", st, b)
		}
		oneAudit(t, logPath, "trust.sign", map[string]any{"path": "Untitled.ipynb", "outcome": "ok"})
	})

	t.Run("terminals", func(t *testing.T) {
		name := mustCreateTerminal(t, in, nil)
		oneAudit(t, logPath, "terminal.start", map[string]any{"terminal": name})
		if st, b, _ := in.do(in.req("DELETE", "api/terminals/"+name, nil)); st != 204 {
			t.Fatalf("DELETE terminal: %d %s", st, b)
		}
		oneAudit(t, logPath, "terminal.end", map[string]any{"terminal": name, "reason": "deleted"})
	})

	t.Run("kernels", func(t *testing.T) {
		needIPyKernel(t)
		k := startKernel(t, in)
		schema := "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
		oneAudit(t, logPath, "kernel.start", map[string]any{"kernel_id": k.ID, "kernel_name": "python3", "action": "start", "status": "success", "schema": schema})

		// An execute_request with ?token= on the WebSocket: recorded with
		// the code's hash and cell id, never the code (hash mode).
		w := mustDial(t, in, k.ID, wire.NewID(), false)
		code := "print('" + codeMarker + "')"
		cell := "cell-" + randomHex(4)
		id := sendWithMetadata(t, w, "execute_request", executeContent(code, false), map[string]any{"cellId": cell})
		if r := w.collect(id, 60*time.Second); !strings.Contains(r.Stdout, codeMarker) {
			t.Fatalf("stdout %q", r.Stdout)
		}
		sum := sha256.Sum256([]byte(code))
		ex := oneAudit(t, logPath, "kernel.execute", map[string]any{"kernel_id": k.ID, "cell_id": cell, "msg_id": id,
			"code_sha256": hex.EncodeToString(sum[:])})
		if _, ok := ex["code"]; ok {
			t.Errorf("hash mode recorded the code: %v", ex)
		}
		w.close()

		for _, action := range []string{"interrupt", "restart"} {
			if st, b, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/"+action, nil); st >= 300 {
				t.Fatalf("%s: %d %s", action, st, b)
			}
			oneAudit(t, logPath, "kernel."+action, map[string]any{"kernel_id": k.ID, "action": action, "status": "success"})
		}
		if st, b, _ := apiJSON(t, in, "DELETE", "api/kernels/"+k.ID, nil); st != 204 {
			t.Fatalf("shutdown: %d %s", st, b)
		}
		oneAudit(t, logPath, "kernel.shutdown", map[string]any{"kernel_id": k.ID, "action": "shutdown"})

		// A kernel killed from outside dies with its signal.
		k2 := startKernel(t, in)
		pid := kernelPID(t, in, k2.ID)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		started := oneAudit(t, logPath, "kernel.start", map[string]any{"kernel_id": k2.ID})
		oneAudit(t, logPath, "kernel.died", map[string]any{"kernel_id": k2.ID, "signal": "killed", "outcome": "error",
			"user": started.str("user"), "request_id": started.str("request_id")})
		apiJSON(t, in, "DELETE", "api/kernels/"+k2.ID, nil)
	})

	if err := in.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	oneAudit(t, logPath, "server.stop", map[string]any{"reason": "shutdown"})
	if code, out := verifyAudit(t, logPath); code != 0 || !strings.Contains(out, "chain intact") {
		t.Errorf("verify: %d %s", code, out)
	}

	// Nothing secret in any record of the whole run.
	data, _ := os.ReadFile(logPath)
	secrets := map[string]string{"token": token, "password": password, "file content": fileMarker, "code": codeMarker}
	for i, c := range cookies {
		if len(c) >= 8 {
			secrets[fmt.Sprintf("cookie %d", i)] = c
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		for what, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("an audit record holds the %s: %s", what, line)
			}
		}
	}
	if n := strings.Count(string(data), "\n"); n < 25 {
		t.Errorf("only %d records: the run did not cover what it should", n)
	}
}

// sendWithMetadata is wsClient.send with message metadata (JupyterLab puts
// the cell id there).
func sendWithMetadata(t *testing.T, w *wsClient, msgType string, content, metadata any) string {
	t.Helper()
	id := wire.NewID()
	h, _ := json.Marshal(map[string]any{"msg_id": id, "msg_type": msgType, "session": w.Session, "username": "quire-test",
		"date": time.Now().UTC().Format(wire.DateFormat), "version": "5.3"})
	c, _ := json.Marshal(content)
	md, _ := json.Marshal(metadata)
	m := &wire.Message{Header: h, ParentHeader: json.RawMessage("{}"), Metadata: md, Content: c}
	typ, data := websocket.MessageBinary, wsbridge.EncodeV1("shell", m)
	if !w.V1 {
		var bin bool
		data, bin = wsbridge.EncodeLegacy("shell", m)
		typ = websocket.MessageText
		if bin {
			typ = websocket.MessageBinary
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, typ, data); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAuditSessionsThrottleCullAndRateLimit covers the events that need
// settings of their own: a session evicted by --max-sessions (revoked),
// a throttled login, a culled kernel and terminal, --audit-execute=full,
// and refusal records capped per client.
func TestAuditSessionsThrottleCullAndRateLimit(t *testing.T) {
	password := "pw" + randomHex(8)
	logPath := filepath.Join(t.TempDir(), "audit.log")
	in := startQuire(t, opts{
		args: []string{"--audit-log", logPath, "--audit-execute=full", "--audit-refusals", "3", "--max-sessions", "1",
			"--login-free-failures", "1", "--login-failure-delay", "30s", "--cull-idle-timeout", "5s", "--cull-interval", "1s",
			"--terminal-cull-timeout", "2s"},
		env: []string{"QUIRE_TOKEN=tok" + randomHex(20), "QUIRE_PASSWORD=" + password},
	})
	c1, c2 := in.client(), in.client()
	if !loginWithPassword(t, in, c1, password) || !loginWithPassword(t, in, c2, password) {
		t.Fatal("login failed")
	}
	first := readAudit(t, logPath)
	var s1 string
	for _, r := range first {
		if r.str("event") == "login.success" {
			s1 = r.str("session")
			break
		}
	}
	oneAudit(t, logPath, "session.revoked", map[string]any{"reason": "evicted", "session": s1})

	c3 := in.client()
	loginWithPassword(t, in, c3, password+"x") // free (--login-free-failures 1); the next waits
	status, _, _ := send(t, c3, func() *http.Request {
		xsrf := cookieValue(c3, in, "_xsrf")
		r := in.req("POST", "login", strings.NewReader(url.Values{"password": {password}, "_xsrf": {xsrf}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}())
	if status != 429 {
		t.Fatalf("third login: %d, want 429", status)
	}
	th := oneAudit(t, logPath, "login.throttled", map[string]any{"reason": "failures", "outcome": "denied"})
	if th["retry_after"].(float64) < 1 {
		t.Errorf("login.throttled: %v", th)
	}

	anon := &http.Client{Timeout: 30 * time.Second}
	for range 10 {
		r := in.req("GET", "api/status", nil)
		r.Header.Set("Origin", "http://evil.example")
		send(t, anon, r)
	}
	n := 0
	for _, r := range readAudit(t, logPath) {
		if r.str("event") == "request.refused" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d refusal records from one client, want 3 (--audit-refusals)", n)
	}

	name := mustCreateTerminal(t, in, nil)
	oneAudit(t, logPath, "terminal.end", map[string]any{"terminal": name, "reason": "culled"})

	if needKernelOK() {
		k := startKernel(t, in)
		w := mustDial(t, in, k.ID, wire.NewID(), false)
		w.execute("x = 41 + 1", 60*time.Second)
		oneAudit(t, logPath, "kernel.execute", map[string]any{"kernel_id": k.ID, "code": "x = 41 + 1"})
		w.close()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if st, _, _ := apiJSON(t, in, "GET", "api/kernels/"+k.ID, nil); st == 404 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		oneAudit(t, logPath, "kernel.culled", map[string]any{"kernel_id": k.ID})
	}
	if code, out := verifyAudit(t, logPath); code != 0 {
		t.Errorf("verify: %d %s", code, out)
	}
}

// TestAuditReopenOnSIGHUP: after logrotate moves the log away and sends
// SIGHUP, Quire writes a new 0600 file whose first record links to the
// last of the old one; verify accepts both in order and names a missing
// one.
func TestAuditReopenOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	in := startQuire(t, opts{args: []string{"--audit-log", logPath}})
	apiJSON(t, in, "PUT", "api/contents/one.txt", map[string]any{"type": "file", "format": "text", "content": "1"})
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(in.Stderr.String(), "audit log reopened") {
		if time.Now().After(deadline) {
			t.Fatalf("no reopen logged:\n%s", in.Stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	apiJSON(t, in, "PUT", "api/contents/two.txt", map[string]any{"type": "file", "format": "text", "content": "2"})
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(logPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new audit log: %v %v", err, st)
	}
	old, cur := readAudit(t, logPath+".1"), readAudit(t, logPath)
	if len(old) < 2 || len(cur) < 2 || cur[0].str("path") != "two.txt" {
		t.Fatalf("old %d records, new %d (first %v)", len(old), len(cur), cur[0])
	}
	if code, out := verifyAudit(t, logPath+".1", logPath); code != 0 {
		t.Errorf("verify both: %d %s", code, out)
	}
	if code, out := verifyAudit(t, logPath+".2", logPath+".1", logPath); code != 1 || !strings.Contains(out, logPath+".2: missing") {
		t.Errorf("verify with a missing file: %d %s", code, out)
	}
	// Edit, delete and truncate copies: verify names the line.
	data, _ := os.ReadFile(logPath + ".1")
	curData, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(data), "\n")
	for _, tc := range []struct {
		name, old, want string
		atCur           bool
	}{
		{"edited", strings.Replace(string(data), `"server.start"`, `"server.stort"`, 1), ":2: prev does not match line 1", false},
		{"edited-last", strings.Replace(string(data), `"one.txt"`, `"won.txt"`, 1), ":1: does not follow the last record", true},
		{"deleted", lines[0], ":1: does not follow the last record", true},
		{"truncated", string(data[:len(data)-5]), ":2: torn record", false},
	} {
		old, cur := filepath.Join(dir, tc.name+".1"), filepath.Join(dir, tc.name)
		os.WriteFile(old, []byte(tc.old), 0o600)
		os.WriteFile(cur, curData, 0o600)
		named := old
		if tc.atCur {
			named = cur
		}
		if code, out := verifyAudit(t, old, cur); code != 1 || !strings.Contains(out, named+tc.want) {
			t.Errorf("%s: verify %d %s, want %s%s", tc.name, code, out, named, tc.want)
		}
	}
}

// TestAuditDiskFull puts the audit log on a full tmpfs: saves still
// succeed, the server keeps running, the failure is logged and counted,
// and once space is back the next record says how many were lost.
func TestAuditDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "256k")
	logPath := filepath.Join(dir, "audit.log")
	in := startQuire(t, opts{args: []string{"--audit-log", logPath}})
	fillDisk(t, filepath.Join(dir, "filler"), 0)
	for i := range 30 {
		st, b, _ := apiJSON(t, in, "PUT", fmt.Sprintf("api/contents/f%d.txt", i), map[string]any{"type": "file", "format": "text", "content": "x"})
		if st != 201 {
			t.Fatalf("save %d with the audit disk full: %d %s", i, st, b)
		}
	}
	if st, _, _ := apiJSON(t, in, "GET", "api/status", nil); st != 200 {
		t.Fatalf("server not serving: %d", st)
	}
	if !strings.Contains(in.Stderr.String(), "could not write the audit log") {
		t.Errorf("no audit write error logged:\n%s", in.Stderr.String())
	}
	st, b, _ := apiJSON(t, in, "GET", "metrics", nil)
	if m := regexp.MustCompile(`(?m)^quire_audit_write_errors_total ([0-9]+)`).FindSubmatch(b); st != 200 || m == nil || string(m[1]) == "0" {
		t.Errorf("GET metrics: %d; the write errors are not counted:\n%s", st, b)
	}
	os.Remove(filepath.Join(dir, "filler"))
	apiJSON(t, in, "PUT", "api/contents/after.txt", map[string]any{"type": "file", "format": "text", "content": "x"})
	data, _ := os.ReadFile(logPath)
	if !regexp.MustCompile(`"lost":[1-9]`).Match(data) || !strings.Contains(string(data), `"after.txt"`) {
		t.Errorf("after space came back, no record says what was lost:\n%s", data)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestAuditTrustCLI: `quire trust --reset` and `quire trust NOTEBOOK`
// append their records to the log a running server writes, and the
// chain holds across both writers.
func TestAuditTrustCLI(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	trustDir := t.TempDir()
	in := startQuire(t, opts{args: []string{"--audit-log", logPath, "--trust-data-dir", trustDir}})
	nb := filepath.Join(in.Root, "n.ipynb")
	os.WriteFile(nb, []byte(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`), 0o600)
	for _, args := range [][]string{{"--reset"}, {nb}} {
		cmd := exec.Command(quireBin(t), append([]string{"trust", "--trust-data-dir", trustDir}, args...)...)
		cmd.Env = []string{"HOME=" + in.Home, "USER=alice", "QUIRE_AUDIT_LOG=" + logPath}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("quire trust %v: %v\n%s", args, err, out)
		}
		apiJSON(t, in, "PUT", "api/contents/x.txt", map[string]any{"type": "file", "format": "text", "content": "x"})
	}
	oneAudit(t, logPath, "trust.reset", map[string]any{"user": "alice", "client": "cli", "outcome": "ok"})
	oneAudit(t, logPath, "trust.sign", map[string]any{"user": "alice", "client": "cli", "path": nb})
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if code, out := verifyAudit(t, logPath); code != 0 {
		t.Errorf("verify: %d %s", code, out)
	}
}

// TestAuditSessionRevokedByNewPassword: a session made with a password
// that has changed while the server was down is recorded as revoked at
// the next start.
func TestAuditSessionRevokedByNewPassword(t *testing.T) {
	home := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "audit.log")
	args := []string{"--audit-log", logPath}
	pw := "old" + randomHex(6)
	in := startQuire(t, opts{home: home, args: args, env: []string{"QUIRE_PASSWORD=" + pw}})
	if !loginWithPassword(t, in, in.client(), pw) {
		t.Fatal("login failed")
	}
	login := oneAudit(t, logPath, "login.success", nil)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	in2 := startQuire(t, opts{home: home, args: args, env: []string{"QUIRE_PASSWORD=new" + randomHex(6)}})
	oneAudit(t, logPath, "session.revoked", map[string]any{"reason": "credential", "session": login.str("session"), "user": login.str("user")})
	if err := in2.stop(); err != nil {
		t.Fatal(err)
	}
	if code, out := verifyAudit(t, logPath); code != 0 {
		t.Errorf("verify across restarts: %d %s", code, out)
	}
}

// TestAuditUserNotAllowed: a user the front proxy signed in but
// --allowed-users does not name is refused, and the refusal recorded.
func TestAuditUserNotAllowed(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	in := startQuire(t, opts{args: []string{"--audit-log", logPath, "--trusted-proxy", "127.0.0.1/32",
		"--trusted-user-header", "X-Remote-User", "--allowed-users", "alice"}})
	c := &http.Client{Timeout: 30 * time.Second}
	for _, user := range []string{"alice", "carol"} {
		r := in.req("GET", "api/contents", nil)
		r.Header.Set("X-Remote-User", user)
		status, body, _ := send(t, c, r)
		if want := map[string]int{"alice": 200, "carol": 403}[user]; status != want {
			t.Fatalf("%s: %d %s, want %d", user, status, body, want)
		}
	}
	oneAudit(t, logPath, "request.refused", map[string]any{"reason": "user_not_allowed", "path": "/api/contents", "outcome": "denied"})
}

// TestAuditToStdout: --audit-log - writes the records to standard output,
// one JSON object a line, still chained.
func TestAuditToStdout(t *testing.T) {
	in := startQuire(t, opts{args: []string{"--audit-log", "-"}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		var start auditRecord
		for _, line := range strings.Split(in.Stdout.String(), "\n") {
			var r auditRecord
			if json.Unmarshal([]byte(line), &r) == nil && r.str("event") == "server.start" {
				start = r
			}
		}
		if start != nil {
			if _, ok := start["prev"]; !ok || start.str("time") == "" {
				t.Errorf("server.start on stdout lacks prev or time: %v", start)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server.start record on stdout:\n%s", in.Stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
