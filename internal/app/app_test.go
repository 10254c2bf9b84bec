package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"127.1.2.3", true}, {"::1", true}, {"localhost", true},
		{"0.0.0.0", false}, {"", false}, {"*", false}, {"::", false}, {"10.1.2.3", false}, {"192.0.2.7", false},
	} {
		if got := loopbackOnly(tc.ip); got != tc.want {
			t.Errorf("loopbackOnly(%q) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}

func TestListenTCPRetries(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	if _, err := listenTCP("127.0.0.1", port, 0); err == nil || !strings.Contains(err.Error(), "--port-retries") {
		t.Fatalf("busy port without retries: %v", err)
	}
	ln, err := listenTCP("127.0.0.1", port, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := ln.Addr().(*net.TCPAddr).Port; got <= port || got > port+10 {
		t.Fatalf("retried port %d", got)
	}
}

func TestRunningServersSkipsStale(t *testing.T) {
	dir := t.TempDir()
	live := serverInfo{PID: os.Getpid(), Port: 1234, URL: "http://127.0.0.1:1234/"}
	if _, err := writeRuntimeFile(dir, live); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(runtimeFileName(dir, os.Getpid()))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("runtime file: %v %v", fi.Mode(), err)
	}
	stale := filepath.Join(dir, "quire-999999.json")
	b, _ := json.Marshal(serverInfo{PID: 999999, Port: 1})
	os.WriteFile(stale, b, 0o600)
	os.WriteFile(filepath.Join(dir, "quire-junk.json"), []byte("{"), 0o600)
	got, err := runningServers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Port != 1234 {
		t.Fatalf("runningServers = %+v", got)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale runtime file not removed")
	}
}

func TestUnknownCommandAndVersion(t *testing.T) {
	env := envFunc(func(string) (string, bool) { return "", false })
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, env, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, env, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), Version) {
		t.Fatalf("version: %d %q", code, out.String())
	}
}

func TestPasswordFromPipe(t *testing.T) {
	env := envFunc(func(string) (string, bool) { return "", false })
	cfg := filepath.Join(t.TempDir(), "c.json")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"password", "--write", "--config", cfg}, env, strings.NewReader("pw\npw\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("password --write: %d %s", code, errb.String())
	}
	data, _ := os.ReadFile(cfg)
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil || !strings.HasPrefix(m["password_hash"], "argon2:$argon2id$") {
		t.Fatalf("config: %s", data)
	}
	for _, in := range []string{"", "a\nb\n"} {
		if code := run(context.Background(), []string{"password"}, env, strings.NewReader(in), &out, &errb); code == 0 {
			t.Errorf("password with input %q succeeded", in)
		}
	}
}

func TestFitConns(t *testing.T) {
	for _, tc := range []struct {
		max    int
		nofile uint64
		want   int
	}{
		{4096, 1 << 20, 4096}, // Go raised the soft limit to a large hard one
		{4096, 5464, 4096},    // 3/4 of it is 4098
		{4096, 5462, 4095},
		{4096, 4096, 3072},
		{4096, 1024, 768},
		{100, 20, 16},
		{16, 16, 16},
	} {
		if got := fitConns(tc.max, tc.nofile); got != tc.want {
			t.Errorf("fitConns(%d, %d) = %d, want %d", tc.max, tc.nofile, got, tc.want)
		}
	}
}

// A mistake on the command line, or a refusal to start, is reported in one
// line that says where help is, never followed by the whole help or by the
// same message again as a log line.
func TestCommandLineMistakesSayOneLine(t *testing.T) {
	home := t.TempDir()
	env := envFunc(func(k string) (string, bool) {
		switch k {
		case "HOME":
			return home, true
		case "JUPYTER_RUNTIME_DIR":
			return filepath.Join(home, "runtime"), true
		}
		return "", false
	})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"stop"}, 2, "quire stop: which server? give its PORT or --sock PATH (see quire stop --help)"},
		{[]string{"stop", "8888", "--sock", "/x"}, 2, "quire stop: give a PORT or --sock PATH, not both (see quire stop --help)"},
		{[]string{"stop", "--bogus"}, 2, "quire stop: unknown option --bogus (see quire stop --help)"},
		{[]string{"--bogus"}, 2, "quire: unknown option --bogus (see quire --help)"},
		{[]string{"serve", "--port"}, 2, "quire: option --port needs a value (see quire --help)"},
		{[]string{"list", "--bogus=1"}, 2, "quire list: unknown option --bogus (see quire list --help)"},
		{[]string{"password", "-x"}, 2, "quire password: unknown option --x (see quire password --help)"},
		{[]string{"trust"}, 2, "quire trust: which notebooks? give their paths, or --reset (see quire trust --help)"},
		{[]string{"doctor", "--bogus"}, 2, "quire doctor: unknown option --bogus (see quire doctor --help)"},
		{[]string{"doctor", "https://a.example/", "https://b.example/"}, 2, "quire doctor: unexpected argument \"https://b.example/\" (see quire doctor --help)"},
		{[]string{"trust", "--reset", "a.ipynb"}, 2, "quire trust: give notebooks or --reset, not both (see quire trust --help)"},
		{[]string{"--root-dir", filepath.Join(home, "nonexistent"), "--no-browser"}, 1, "quire: root directory " + filepath.Join(home, "nonexistent") + " does not exist or is not a directory (--root-dir)"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, env, strings.NewReader(""), &out, &errb)
			if code != tc.code || errb.String() != tc.want+"\n" {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", code, errb.String(), tc.code, tc.want)
			}
		})
	}
}

// Every command's --help lists its options as quire --help does: --name.
func TestSubcommandHelpUsesDoubleDashes(t *testing.T) {
	env := envFunc(func(string) (string, bool) { return "", false })
	for _, tc := range []struct{ cmd, option string }{
		{"stop", "--sock string"}, {"list", "--json"}, {"password", "--write"}, {"trust", "--reset"}, {"doctor", "--json"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{tc.cmd, "--help"}, env, nil, &out, &errb); code != 0 {
			t.Fatalf("%s --help: exit %d", tc.cmd, code)
		}
		help := errb.String()
		if !strings.HasPrefix(help, "Usage: quire "+tc.cmd) || !strings.Contains(help, "\n  "+tc.option+"\n") || strings.Contains(help, "\n  -"+strings.TrimPrefix(tc.option, "--")) {
			t.Errorf("%s --help:\n%s", tc.cmd, help)
		}
	}
}

// quire doctor reports settings quire serve would refuse as a finding, in
// the format asked for, with exit status 2.
func TestDoctorInvalidSettings(t *testing.T) {
	home := t.TempDir()
	env := envFunc(func(k string) (string, bool) {
		if k == "HOME" {
			return home, true
		}
		return "", false
	})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--json", "--certfile", "c.pem"}, env, nil, &out, &errb)
	var r struct {
		Status   string
		Findings []struct{ ID, Level, Detail string }
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("no JSON (%v):\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	if code != 2 || r.Status != "error" || len(r.Findings) != 1 || r.Findings[0].ID != "config.invalid" || !strings.Contains(r.Findings[0].Detail, "--keyfile") {
		t.Errorf("exit %d, report %+v", code, r)
	}
}
