//go:build integration

// Package integration starts the real quire binary (QUIRE_BIN, built by
// `make integration`) and talks to it over HTTP, as users and clients do.
package integration

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func quireBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("QUIRE_BIN")
	if bin == "" {
		abs, _ := filepath.Abs("../../bin/quire")
		bin = abs
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("quire binary not found at %s (run make build or set QUIRE_BIN)", bin)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type instance struct {
	t          *testing.T
	cmd        *exec.Cmd
	Root       string
	Home       string
	RuntimeDir string
	DataDir    string
	URL        string // base URL, ends with "/"
	Token      string
	Port       int
	Stdout     *syncBuffer
	Stderr     *syncBuffer
	exited     chan struct{}
	exitErr    error
}

type opts struct {
	args []string
	env  []string
	root string
	// home, if set, is the HOME (with the runtime and data dirs inside),
	// so a restarted server finds its predecessor's secrets and sessions.
	home string
	// noWait skips waiting for the runtime file (for servers expected to fail).
	noWait bool
}

// startQuire starts the binary on a free port with its own HOME, runtime
// and data dirs, and waits until it answers.
func startQuire(t *testing.T, o opts) *instance {
	t.Helper()
	home := o.home
	if home == "" {
		home = t.TempDir()
	}
	root := o.root
	if root == "" {
		root = t.TempDir()
	}
	in := &instance{
		t: t, Root: root, Home: home,
		RuntimeDir: filepath.Join(home, "runtime"),
		DataDir:    filepath.Join(home, "data"),
		Stdout:     &syncBuffer{}, Stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}
	args := append([]string{"--port", "0", "--no-browser", "--root-dir", root, "--data-dir", in.DataDir, "--log-level", "debug"}, o.args...)
	cmd := exec.Command(quireBin(t), args...)
	cmd.Env = append([]string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"JUPYTER_RUNTIME_DIR=" + in.RuntimeDir,
		"XDG_DATA_HOME=" + filepath.Join(home, "xdg-data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "xdg-config"),
	}, o.env...)
	cmd.Stdout, cmd.Stderr = in.Stdout, in.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start quire: %v", err)
	}
	in.cmd = cmd
	go func() { in.exitErr = cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("quire stdout:\n%s\nquire stderr:\n%s", in.Stdout, in.Stderr)
		}
	})
	if o.noWait {
		return in
	}
	in.waitReady()
	return in
}

func (in *instance) waitReady() {
	t := in.t
	t.Helper()
	path := filepath.Join(in.RuntimeDir, fmt.Sprintf("quire-%d.json", in.cmd.Process.Pid))
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-in.exited:
			t.Fatalf("quire exited early: %v\nstderr:\n%s", in.exitErr, in.Stderr)
		default:
		}
		data, err := os.ReadFile(path)
		if err == nil {
			var info struct {
				URL   string `json:"url"`
				Token string `json:"token"`
				Port  int    `json:"port"`
			}
			if json.Unmarshal(data, &info) == nil && info.URL != "" {
				in.URL, in.Token, in.Port = info.URL, info.Token, info.Port
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("quire did not write its runtime file %s in time\nstderr:\n%s", path, in.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits; SIGKILL after 10 s.
func (in *instance) stop() error {
	select {
	case <-in.exited:
		return in.exitErr
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(10 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
	}
	return in.exitErr
}

// waitExit waits for the process to end by itself.
func (in *instance) waitExit(d time.Duration) error {
	select {
	case <-in.exited:
		return in.exitErr
	case <-time.After(d):
		in.t.Fatalf("quire still running after %s", d)
		return nil
	}
}

// client returns an HTTP client that does not follow redirects and keeps
// cookies.
func (in *instance) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
}

// req builds a request to path (relative to the base URL).
func (in *instance) req(method, path string, body io.Reader) *http.Request {
	in.t.Helper()
	r, err := http.NewRequest(method, in.URL+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		in.t.Fatal(err)
	}
	return r
}

// do sends r with the token and returns status and body.
func (in *instance) do(r *http.Request) (int, []byte, http.Header) {
	in.t.Helper()
	if in.Token != "" && r.Header.Get("Authorization") == "" {
		r.Header.Set("Authorization", "token "+in.Token)
	}
	return send(in.t, in.client(), r)
}

func send(t *testing.T, c *http.Client, r *http.Request) (int, []byte, http.Header) {
	t.Helper()
	resp, err := c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// messageOf returns the "message" of a JSON error body, or "" if the body
// is not one.
func messageOf(b []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	return e.Message
}
