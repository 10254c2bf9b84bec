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
	"testing"
	"time"

	"quire/internal/s3gw"
	"quire/tests/internal/harness"
)

func quireBin(t *testing.T) string { t.Helper(); return harness.Bin(t) }

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer = harness.Buffer

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
	exited     chan struct{} // closed once the process has exited
	proc       *harness.Process
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
	// gw is the S3 gateway of an S3-backed instance (s3Opts); root is
	// then its bucket's directory.
	gw *s3gw.Gateway
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
	in.proc = harness.Start(t, "quire", cmd)
	in.cmd, in.exited = cmd, in.proc.Exited
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
	in.t.Helper()
	path := filepath.Join(in.RuntimeDir, fmt.Sprintf("quire-%d.json", in.cmd.Process.Pid))
	in.proc.WaitReady(in.t, 15*time.Second, 20*time.Millisecond, func() string { return "stderr:\n" + in.Stderr.String() }, func() (bool, string) {
		data, err := os.ReadFile(path)
		if err != nil {
			return false, "no runtime file " + path
		}
		var info struct {
			URL   string `json:"url"`
			Token string `json:"token"`
			Port  int    `json:"port"`
		}
		if json.Unmarshal(data, &info) != nil || info.URL == "" {
			return false, "runtime file " + path + " incomplete"
		}
		in.URL, in.Token, in.Port = info.URL, info.Token, info.Port
		return true, ""
	})
}

// stop sends SIGTERM and waits; SIGKILL after 10 s.
func (in *instance) stop() error { return in.proc.Stop() }

// waitExit waits for the process to end by itself.
func (in *instance) waitExit(d time.Duration) error {
	in.t.Helper()
	return in.proc.WaitExit(in.t, d)
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
