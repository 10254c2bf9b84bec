package app

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHubArgs(t *testing.T) {
	for _, tc := range []struct {
		in, rest []string
		url      string
		notes    []string
	}{
		{nil, nil, "", nil},
		{[]string{"--allow-root", "-y", "--disable-user-config", "--no-browser"}, nil, "", nil},
		{[]string{"--debug", "--notebook-dir=/srv/x"}, []string{"--log-level=debug", "--root-dir=/srv/x"}, "", nil},
		{[]string{"--notebook-dir", "/srv/x"}, []string{"--root-dir=/srv/x"}, "", nil},
		{[]string{"--SingleUserNotebookApp.default_url=/lab"}, nil, "/lab", nil},
		{[]string{"--NotebookApp.default_url", "/tree"}, nil, "/tree", nil},
		{[]string{"--ServerApp.port=9000", "--ServerApp.some_trait=1"}, []string{"--ServerApp.port=9000"}, "", []string{"--ServerApp.some_trait=1"}},
		{[]string{"--max-conns=5", "--bogus"}, []string{"--max-conns=5", "--bogus"}, "", nil}, // the flag parser refuses --bogus
		{[]string{"--", "--allow-root"}, []string{"--", "--allow-root"}, "", nil},
	} {
		rest, url, notes := hubArgs(tc.in)
		if !slices.Equal(rest, tc.rest) || url != tc.url || !slices.Equal(notes, tc.notes) {
			t.Errorf("hubArgs(%q) = %q, %q, %q; want %q, %q, %q", tc.in, rest, url, notes, tc.rest, tc.url, tc.notes)
		}
	}
}

// TestSingleuserMissingVariable: hub mode without a required variable
// exits 1 naming it.
func TestSingleuserMissingVariable(t *testing.T) {
	env := map[string]string{"JUPYTERHUB_API_TOKEN": "x", "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api"}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"singleuser"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		strings.NewReader(""), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "JUPYTERHUB_CLIENT_ID") {
		t.Errorf("exit %d, stderr %q; want 1 naming JUPYTERHUB_CLIENT_ID", code, errb.String())
	}
}

// TestSingleuserHubNeverAnswers: the version check gives up and exits 1.
func TestSingleuserHubNeverAnswers(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) }))
	defer down.Close()
	home := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	env := map[string]string{
		"HOME":                           home,
		"JUPYTERHUB_API_TOKEN":           "secret",
		"JUPYTERHUB_API_URL":             down.URL + "/hub/api",
		"JUPYTERHUB_CLIENT_ID":           "jupyterhub-user-alice",
		"JUPYTERHUB_SERVICE_PREFIX":      "/user/alice/",
		"JUPYTERHUB_SERVICE_URL":         "http://127.0.0.1:" + strconv.Itoa(port) + "/",
		"JUPYTERHUB_OAUTH_CALLBACK_URL":  "/user/alice/oauth_callback",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `["access:servers!server=alice/"]`,
		"JUPYTERHUB_USER":                "alice",
	}
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(context.Background(), []string{"--root-dir", home, "--data-dir", home + "/d", "--runtime-dir", home + "/r"},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, strings.NewReader(""), &out, &errb,
		func(s *server) { s.hubSleeps = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond} })
	if code != 1 || !strings.Contains(errb.String(), "never answered") || !strings.Contains(errb.String(), "JupyterHub's variables") {
		t.Errorf("exit %d after %s, stderr %q; want 1 and the reason", code, time.Since(start), errb.String())
	}
	if strings.Contains(errb.String()+out.String(), "secret") {
		t.Error("the Hub's API token was printed")
	}
}

// TestSingleuserBindsFirst: in hub mode the port accepts connections
// before the Hub has answered the version check (the Hub's health check
// then waits instead of backing off), and nothing is answered before it
// has: the health check's answer carries the Hub's version.
func TestSingleuserBindsFirst(t *testing.T) {
	release := make(chan struct{})
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("X-JupyterHub-Version", "3.0.0")
		w.Write([]byte(`{"version": "3.0.0"}`))
	}))
	defer hub.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	home := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"HOME":                           home,
		"JUPYTERHUB_API_TOKEN":           "secret",
		"JUPYTERHUB_API_URL":             hub.URL + "/hub/api",
		"JUPYTERHUB_CLIENT_ID":           "jupyterhub-user-zo%C3%AB",
		"JUPYTERHUB_SERVICE_PREFIX":      "/user/zo%C3%AB/",
		"JUPYTERHUB_SERVICE_URL":         "http://" + addr + "/",
		"JUPYTERHUB_OAUTH_CALLBACK_URL":  "/user/zo%C3%AB/oauth_callback",
		"JUPYTERHUB_OAUTH_ACCESS_SCOPES": `["access:servers!server=zoë/"]`,
		"JUPYTERHUB_USER":                "zoë",
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		var out, errb bytes.Buffer
		done <- run(ctx, []string{"singleuser", "--root-dir", home, "--data-dir", home + "/d", "--runtime-dir", home + "/r"},
			func(k string) (string, bool) { v, ok := env[k]; return v, ok }, strings.NewReader(""), &out, &errb)
	}()
	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the port never accepted a connection while the Hub kept its answer: %v", err)
		}
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /user/zo%C3%AB/api HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- nil
			return
		}
		resp.Body.Close()
		answered <- resp
	}()
	select {
	case resp := <-answered:
		t.Fatalf("answered before the Hub told its version: %v", resp)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case resp := <-answered:
		if resp == nil || resp.StatusCode != 200 || resp.Header.Get("X-JupyterHub-Version") != "3.0.0" {
			t.Fatalf("health check answer %v, want 200 with the Hub's version", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer after the Hub told its version")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}
