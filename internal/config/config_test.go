package config_test

import (
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"quire/internal/config"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"port": 1111, "ip": "127.0.0.2", "log_level": "warn", "ServerApp": {"base_url": "file"}, "allow-origin": ["https://f.example"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// A user's own config file (~/.config/quire/config.json).
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".config", "quire"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".config", "quire", "config.json"), []byte(`{"port": 5555}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		port int
		ip   string
		base string
		lvl  string
		orig []string
	}{
		{"defaults", nil, map[string]string{"HOME": dir}, 8888, "127.0.0.1", "/", "info", nil},
		{"file", []string{"--config", file}, map[string]string{}, 1111, "127.0.0.2", "/file/", "warn", []string{"https://f.example"}},
		{"env beats file", []string{"--config", file}, map[string]string{"QUIRE_PORT": "2222", "QUIRE_ALLOW_ORIGIN": "https://a.example,https://b.example"}, 2222, "127.0.0.2", "/file/", "warn", []string{"https://a.example", "https://b.example"}},
		{"flag beats env", []string{"--config", file, "--port", "3333", "--allow-origin", "https://x.example"}, map[string]string{"QUIRE_PORT": "2222"}, 3333, "127.0.0.2", "/file/", "warn", []string{"https://x.example"}},
		{"config from env", nil, map[string]string{"QUIRE_CONFIG": file}, 1111, "127.0.0.2", "/file/", "warn", []string{"https://f.example"}},
		{"jupyter alias flag", []string{"--ServerApp.port=4444", "--ServerApp.base_url=/a//b"}, map[string]string{}, 4444, "127.0.0.1", "/a/b/", "info", nil},
		{"user config", nil, map[string]string{"HOME": home}, 5555, "127.0.0.1", "/", "info", nil},
		{"user config off", []string{"--no-user-config"}, map[string]string{"HOME": home}, 8888, "127.0.0.1", "/", "info", nil},
		{"user config off, admin's file read", []string{"--no-user-config"}, map[string]string{"HOME": home, "QUIRE_CONFIG": file}, 1111, "127.0.0.2", "/file/", "warn", []string{"https://f.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.Port != tc.port || c.IP != tc.ip || c.BaseURL != tc.base || c.LogLevel != tc.lvl || strings.Join(c.AllowOrigins, ",") != strings.Join(tc.orig, ",") {
				t.Fatalf("got port=%d ip=%s base=%s level=%s origins=%v", c.Port, c.IP, c.BaseURL, c.LogLevel, c.AllowOrigins)
			}
		})
	}
}

func TestTokenSetness(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		set   bool
		token string
	}{
		{"absent", nil, nil, false, ""},
		{"empty flag", []string{"--token", ""}, nil, true, ""},
		{"empty env", nil, map[string]string{"QUIRE_TOKEN": ""}, true, ""},
		{"env", nil, map[string]string{"QUIRE_TOKEN": "abc"}, true, "abc"},
		{"flag beats env", []string{"--token=def"}, map[string]string{"QUIRE_TOKEN": "abc"}, true, "def"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.TokenSet != tc.set || c.Token != tc.token {
				t.Fatalf("TokenSet=%v Token=%q", c.TokenSet, c.Token)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--port", "x"}, "whole number"},
		{[]string{"--port", "70000"}, "not a TCP port"},
		{[]string{"--max-body-size", "lots"}, "size"},
		{[]string{"--tls", "yes"}, "self-signed"},
		{[]string{"--certfile", "a"}, "go together"},
		{[]string{"--allow-origin", "*"}, "exact origins"},
		{[]string{"--trusted-proxy", "nope"}, "CIDR"},
		{[]string{"--log-format", "xml"}, "text or json"},
		{[]string{"--session-idle", "-1h"}, "positive duration"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"--config", "/nonexistent/q.json"}, "config file"},
		{[]string{"--http-header-timeout", "0"}, "positive duration"},
		{[]string{"--max-header-size", "100"}, "out of range"},
		{[]string{"--login-checks", "0"}, "at least 1"},
		{[]string{"--login-free-failures", "0"}, "at least 1"},
		{[]string{"--login-failure-delay", "1h"}, "must not be below"},
		{[]string{"--ws-ping-interval", "-1s"}, "positive duration"},
		{[]string{"--max-sessions", "0"}, "at least 1"},
		{[]string{"--login-max-tracked", "5"}, "at least 100"},
		{[]string{"--login-device-failures", "0"}, "at least 1"},
		{[]string{"--login-device-lockout", "0"}, "positive duration"},
		{[]string{"--login-device-max-age", "-1h"}, "0 = off"},
		{[]string{"--trusted-outputs", "0"}, "at least 16"},
		{[]string{"--max-conns", "8"}, "at least 16"},
		{[]string{"--max-conns-per-client", "-1"}, "must not be negative"},
		{[]string{"--http-body-timeout", "0"}, "positive duration"},
		{[]string{"--http-body-min-rate", "-5"}, "size"},
		{[]string{"--max-unauth-body", "100"}, "out of range"},
		{[]string{"--max-unauth-body", "2MiB"}, "out of range"},
		{[]string{"--max-request-memory", "1MiB"}, "at least 16MiB"},
		{[]string{"--max-request-memory", "-1GiB"}, "size"},
		{[]string{"--memory-limit", "10MiB"}, "at least 64MiB"},
		{[]string{"--memory-limit", "much"}, "size"},
	} {
		_, err := config.Load(tc.args, envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var b strings.Builder
	_, err := config.Load([]string{"--help"}, envOf(nil), &b)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, name := range []string{"ip", "port", "port-retries", "sock", "root-dir", "base-url", "token", "password-hash", "certfile", "keyfile", "tls", "no-browser", "allow-origin", "allow-host", "trusted-proxy", "data-dir", "max-body-size", "log-format", "log-level", "config"} {
		if !strings.Contains(b.String(), "--"+name+"\n") {
			t.Errorf("--help does not document --%s", name)
		}
	}
	if !strings.Contains(b.String(), "QUIRE_PORT") {
		t.Error("--help does not name the environment variables")
	}
}

func TestParseSizeAndBaseURL(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "1KiB": 1024, "2MiB": 2 << 20, "1GB": 1e9, "256MiB": 256 << 20, "3 mb": 3e6} {
		if got, err := config.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1XB", "MiB", "0"} {
		if _, err := config.ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"": "/", "/": "/", "x": "/x/", "/x": "/x/", "x/": "/x/", "//a///b//": "/a/b/"} {
		if got := config.NormaliseBaseURL(in); got != want {
			t.Errorf("NormaliseBaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoolFlags(t *testing.T) {
	c, err := config.Load([]string{"--no-browser", "--delete-to-trash=false"}, envOf(map[string]string{"QUIRE_ALLOW_HIDDEN": "true"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NoBrowser || c.DeleteToTrash || !c.AllowHidden {
		t.Fatalf("NoBrowser=%v DeleteToTrash=%v AllowHidden=%v", c.NoBrowser, c.DeleteToTrash, c.AllowHidden)
	}
}

func TestKernelHeartbeat(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"kernel_heartbeat_interval": "10s", "kernel_heartbeat_misses": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		interval time.Duration
		misses   int
	}{
		{"defaults", nil, nil, 3 * time.Second, 5},
		{"flags", []string{"--kernel-heartbeat-interval", "500ms", "--kernel-heartbeat-misses=3"}, nil, 500 * time.Millisecond, 3},
		{"off", []string{"--kernel-heartbeat-interval=0"}, nil, 0, 5},
		{"env", nil, map[string]string{"QUIRE_KERNEL_HEARTBEAT_INTERVAL": "1m", "QUIRE_KERNEL_HEARTBEAT_MISSES": "1"}, time.Minute, 1},
		{"file", []string{"--config", file}, nil, 10 * time.Second, 2},
		{"env beats file", []string{"--config", file}, map[string]string{"QUIRE_KERNEL_HEARTBEAT_INTERVAL": "0"}, 0, 2},
		{"flag beats env", []string{"--kernel-heartbeat-misses", "4"}, map[string]string{"QUIRE_KERNEL_HEARTBEAT_MISSES": "7"}, 3 * time.Second, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.KernelHeartbeatInterval != tc.interval || c.KernelHeartbeatMisses != tc.misses {
				t.Errorf("interval %v, misses %d; want %v, %d", c.KernelHeartbeatInterval, c.KernelHeartbeatMisses, tc.interval, tc.misses)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kernel-heartbeat-interval", "-1s"}, "0 = off"},
		{[]string{"--kernel-heartbeat-interval", "often"}, "0 = off"},
		{[]string{"--kernel-heartbeat-misses", "0"}, "at least 1"},
		{[]string{"--kernel-heartbeat-misses", "-2"}, "at least 1"},
		{[]string{"--kernel-heartbeat-misses", "many"}, "whole number"},
	} {
		_, err := config.Load(tc.args, envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"--kernel-heartbeat-interval\n", "(default 3s) [QUIRE_KERNEL_HEARTBEAT_INTERVAL]", "--kernel-heartbeat-misses\n", "(default 5) [QUIRE_KERNEL_HEARTBEAT_MISSES]"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestUploadExpiryAndBufferCache(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"upload_expiry": "2h", "buffer_cache": "32MiB"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		expiry time.Duration
		cache  int64
	}{
		{"defaults", nil, nil, time.Hour, 128 << 20},
		{"flags", []string{"--upload-expiry", "10m", "--buffer-cache=1GiB"}, nil, 10 * time.Minute, 1 << 30},
		{"off", []string{"--upload-expiry=0", "--buffer-cache", "0"}, nil, 0, 0},
		{"env", nil, map[string]string{"QUIRE_UPLOAD_EXPIRY": "24h", "QUIRE_BUFFER_CACHE": "0"}, 24 * time.Hour, 0},
		{"file", []string{"--config", file}, nil, 2 * time.Hour, 32 << 20},
		{"flag beats file", []string{"--config", file, "--buffer-cache", "1MiB"}, nil, 2 * time.Hour, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.UploadExpiry != tc.expiry || c.BufferCache != tc.cache {
				t.Errorf("upload expiry %v, buffer cache %d; want %v, %d", c.UploadExpiry, c.BufferCache, tc.expiry, tc.cache)
			}
		})
	}
	for _, args := range [][]string{
		{"--upload-expiry", "-1h"}, {"--upload-expiry", "soon"},
		{"--buffer-cache", "-5MiB"}, {"--buffer-cache", "lots"},
	} {
		if _, err := config.Load(args, envOf(nil), io.Discard); err == nil {
			t.Errorf("Load(%q) accepted a bad value", args)
		}
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"(default 1h0m0s) [QUIRE_UPLOAD_EXPIRY]", "(default 128MiB) [QUIRE_BUFFER_CACHE]"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

func TestKernelTransport(t *testing.T) {
	dir := t.TempDir()
	flat := filepath.Join(dir, "flat.json")
	jupyter := filepath.Join(dir, "jupyter.json")
	for file, body := range map[string]string{flat: `{"kernel_transport": "ipc"}`, jupyter: `{"KernelManager": {"transport": "IPC"}}`} {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "tcp"},
		{"flag", []string{"--kernel-transport", "ipc"}, nil, "ipc"},
		{"caseless", []string{"--kernel-transport=IPC"}, nil, "ipc"},
		{"env", nil, map[string]string{"QUIRE_KERNEL_TRANSPORT": "ipc"}, "ipc"},
		{"file", []string{"--config", flat}, nil, "ipc"},
		{"jupyter file section", []string{"--config", jupyter}, nil, "ipc"},
		{"jupyter alias flag", []string{"--KernelManager.transport=ipc"}, nil, "ipc"},
		{"env beats file", []string{"--config", flat}, map[string]string{"QUIRE_KERNEL_TRANSPORT": "tcp"}, "tcp"},
		{"flag beats env", []string{"--kernel-transport", "tcp"}, map[string]string{"QUIRE_KERNEL_TRANSPORT": "ipc"}, "tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.KernelTransport != tc.want {
				t.Errorf("KernelTransport = %q, want %q", c.KernelTransport, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--kernel-transport", "udp"}, nil},
		{[]string{"--kernel-transport", ""}, nil},
		{[]string{"--kernel-transport", "inproc"}, nil},
		{nil, map[string]string{"QUIRE_KERNEL_TRANSPORT": "unix"}},
	} {
		_, err := config.Load(tc.args, envOf(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--kernel-transport") || !strings.Contains(err.Error(), "tcp or ipc") {
			t.Errorf("Load(%q, %v) = %v, want an error naming tcp and ipc", tc.args, tc.env, err)
		}
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"--kernel-transport\n", "(default tcp) [QUIRE_KERNEL_TRANSPORT]"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// The server's fixed-looking limits are options like the rest, with their
// defaults in --help, and refused when they make no sense.
func TestServerLimits(t *testing.T) {
	d, err := config.Load(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	type lim struct {
		HTTPHeaderTimeout, HTTPIdleTimeout                time.Duration
		MaxHeaderSize                                     int64
		KernelInfoTimeout, WSPingInterval, WSWriteTimeout time.Duration
		LoginChecks, LoginFreeFailures                    int
		LoginFailureDelay, LoginMaxDelay                  time.Duration
		LoginGlobalFailures                               int
		LoginGlobalMaxDelay                               time.Duration
	}
	want := lim{
		HTTPHeaderTimeout: 10 * time.Second, HTTPIdleTimeout: 2 * time.Minute, MaxHeaderSize: 64 << 10,
		KernelInfoTimeout: time.Minute, WSPingInterval: 30 * time.Second, WSWriteTimeout: time.Minute,
		LoginChecks: 2, LoginFreeFailures: 5, LoginFailureDelay: time.Second, LoginMaxDelay: 15 * time.Minute,
		LoginGlobalFailures: 30, LoginGlobalMaxDelay: time.Minute,
	}
	limits := func(c *config.Config) lim {
		return lim{
			HTTPHeaderTimeout: c.HTTPHeaderTimeout, HTTPIdleTimeout: c.HTTPIdleTimeout, MaxHeaderSize: c.MaxHeaderSize,
			KernelInfoTimeout: c.KernelInfoTimeout, WSPingInterval: c.WSPingInterval, WSWriteTimeout: c.WSWriteTimeout,
			LoginChecks: c.LoginChecks, LoginFreeFailures: c.LoginFreeFailures, LoginFailureDelay: c.LoginFailureDelay,
			LoginMaxDelay: c.LoginMaxDelay, LoginGlobalFailures: c.LoginGlobalFailures, LoginGlobalMaxDelay: c.LoginGlobalMaxDelay,
		}
	}
	if got := limits(d); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	c, err := config.Load([]string{
		"--http-header-timeout", "3s", "--http-idle-timeout=1m", "--max-header-size", "16KiB",
		"--kernel-info-timeout", "2m", "--ws-ping-interval", "10s", "--ws-write-timeout", "20s",
		"--login-checks", "4", "--login-free-failures", "1", "--login-failure-delay", "2s", "--login-max-delay", "1h",
		"--login-global-failures", "100", "--login-global-max-delay", "30s",
	}, envOf(map[string]string{"QUIRE_WS_PING_INTERVAL": "5s"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = lim{
		HTTPHeaderTimeout: 3 * time.Second, HTTPIdleTimeout: time.Minute, MaxHeaderSize: 16 << 10,
		KernelInfoTimeout: 2 * time.Minute, WSPingInterval: 10 * time.Second, WSWriteTimeout: 20 * time.Second,
		LoginChecks: 4, LoginFreeFailures: 1, LoginFailureDelay: 2 * time.Second, LoginMaxDelay: time.Hour,
		LoginGlobalFailures: 100, LoginGlobalMaxDelay: 30 * time.Second,
	}
	if got := limits(c); got != want {
		t.Errorf("flags %+v, want %+v", got, want)
	}
	if c, err := config.Load([]string{"--max-sessions", "50", "--login-max-tracked", "500"}, envOf(nil), io.Discard); err != nil || c.MaxSessions != 50 || c.LoginMaxTracked != 500 {
		t.Errorf("--max-sessions 50 --login-max-tracked 500: %+v, %v", c, err)
	} else if d.MaxSessions != 10000 || d.LoginMaxTracked != 10000 {
		t.Errorf("defaults: max sessions %d, tracked %d; want 10000, 10000", d.MaxSessions, d.LoginMaxTracked)
	}
	if d.LoginDeviceMaxAge != 365*24*time.Hour || d.LoginDeviceFailures != 5 || d.LoginDeviceLockout != time.Hour {
		t.Errorf("device cookie defaults: %s, %d, %s; want 8760h, 5, 1h", d.LoginDeviceMaxAge, d.LoginDeviceFailures, d.LoginDeviceLockout)
	}
	if c, err := config.Load([]string{"--login-device-max-age", "0", "--login-device-failures", "3", "--login-device-lockout", "10m"}, envOf(nil), io.Discard); err != nil ||
		c.LoginDeviceMaxAge != 0 || c.LoginDeviceFailures != 3 || c.LoginDeviceLockout != 10*time.Minute {
		t.Errorf("device cookie flags: %+v, %v", c, err)
	}
	if c, err := config.Load([]string{"--trusted-outputs", "1000"}, envOf(nil), io.Discard); err != nil || c.TrustedOutputs != 1000 {
		t.Errorf("--trusted-outputs 1000: %+v, %v", c, err)
	} else if d.TrustedOutputs != 65536 {
		t.Errorf("default trusted outputs %d, want 65536", d.TrustedOutputs)
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, s := range []string{"(default 10000) [QUIRE_MAX_SESSIONS]", "(default 8760h0m0s) [QUIRE_LOGIN_DEVICE_MAX_AGE]", "(default 5) [QUIRE_LOGIN_DEVICE_FAILURES]", "(default 10s) [QUIRE_HTTP_HEADER_TIMEOUT]", "(default 64KiB) [QUIRE_MAX_HEADER_SIZE]", "(default 1m0s) [QUIRE_KERNEL_INFO_TIMEOUT]", "(default 15m0s) [QUIRE_LOGIN_MAX_DELAY]"} {
		if !strings.Contains(help.String(), s) {
			t.Errorf("--help lacks %q", s)
		}
	}
}

func TestConnLimits(t *testing.T) {
	type lim struct {
		MaxConns, MaxConnsPerClient    int
		HTTPBodyTimeout                time.Duration
		HTTPBodyMinRate, MaxUnauthBody int64
	}
	get := func(c *config.Config) lim {
		return lim{c.MaxConns, c.MaxConnsPerClient, c.HTTPBodyTimeout, c.HTTPBodyMinRate, c.MaxUnauthBody}
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want lim
	}{
		{"defaults", nil, nil, lim{4096, 128, 10 * time.Second, 16 << 10, 4 << 10}},
		{"flags", []string{"--max-conns", "1000", "--max-conns-per-client=0", "--http-body-timeout", "2s", "--http-body-min-rate", "0", "--max-unauth-body", "8KiB"}, nil,
			lim{1000, 0, 2 * time.Second, 0, 8 << 10}},
		{"env", nil, map[string]string{"QUIRE_MAX_CONNS": "64", "QUIRE_MAX_CONNS_PER_CLIENT": "16", "QUIRE_HTTP_BODY_TIMEOUT": "30s", "QUIRE_HTTP_BODY_MIN_RATE": "1MiB", "QUIRE_MAX_UNAUTH_BODY": "1KiB"},
			lim{64, 16, 30 * time.Second, 1 << 20, 1 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := get(c); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, s := range []string{"(default 4096) [QUIRE_MAX_CONNS]", "(default 128) [QUIRE_MAX_CONNS_PER_CLIENT]", "(default 10s) [QUIRE_HTTP_BODY_TIMEOUT]", "(default 16KiB) [QUIRE_HTTP_BODY_MIN_RATE]", "(default 4KiB) [QUIRE_MAX_UNAUTH_BODY]"} {
		if !strings.Contains(help.String(), s) {
			t.Errorf("--help lacks %q", s)
		}
	}
}

func TestMemoryOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"max_request_memory": "8GiB", "memory_limit": "3GiB"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		args          []string
		env           map[string]string
		budget, limit int64
	}{
		{"defaults", nil, nil, 4 << 30, 0},
		{"flags", []string{"--max-request-memory", "1GiB", "--memory-limit=2GiB"}, nil, 1 << 30, 2 << 30},
		{"off", []string{"--max-request-memory=0", "--memory-limit", "0"}, nil, 0, 0},
		{"env", nil, map[string]string{"QUIRE_MAX_REQUEST_MEMORY": "512MiB", "QUIRE_MEMORY_LIMIT": "6GiB"}, 512 << 20, 6 << 30},
		{"file", []string{"--config", file}, nil, 8 << 30, 3 << 30},
		{"flag beats file", []string{"--config", file, "--memory-limit", "1GiB"}, nil, 8 << 30, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.MaxRequestMemory != tc.budget || c.MemoryLimit != tc.limit {
				t.Errorf("max request memory %d, memory limit %d; want %d, %d", c.MaxRequestMemory, c.MemoryLimit, tc.budget, tc.limit)
			}
		})
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, envOf(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"(default 4GiB) [QUIRE_MAX_REQUEST_MEMORY]", "[QUIRE_MEMORY_LIMIT]"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// TestLoadCommand: a subcommand takes serve's options plus its own flags
// and arguments, and may collect unknown config keys instead of failing.
func TestLoadCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"port": 1111, "prot": 2, "ServerApp": {"ipp": "x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		collect  bool
		wantErr  string
		wantArgs []string
		wantKeys []string
		wantJSON bool
	}{
		{name: "own flag, serve flag, argument", args: []string{"--json", "--port", "9", "https://x.example/"}, wantArgs: []string{"https://x.example/"}, wantJSON: true},
		{name: "unknown keys collected", args: []string{"--config", file}, collect: true, wantKeys: []string{"ServerApp.ipp", "prot"}},
		{name: "unknown keys refused", args: []string{"--config", file}, wantErr: "unknown setting"},
		{name: "unknown flag names the command", args: []string{"--nope"}, wantErr: "quire doctor --help"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args, keys []string
			var asJSON bool
			cmd := config.Command{
				Name:  "quire doctor",
				Usage: "Usage: quire doctor [URL]",
				Flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "JSON") },
				Args:  &args,
			}
			if tc.collect {
				cmd.UnknownKeys = &keys
			}
			c, err := config.LoadCommand(tc.args, envOf(map[string]string{"HOME": dir}), io.Discard, cmd)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(keys)
			if !slices.Equal(args, tc.wantArgs) || !slices.Equal(keys, tc.wantKeys) || asJSON != tc.wantJSON {
				t.Errorf("args %q keys %q json %v; want %q %q %v", args, keys, asJSON, tc.wantArgs, tc.wantKeys, tc.wantJSON)
			}
			if tc.collect && c.Port != 1111 {
				t.Errorf("port = %d, want the file's 1111 despite unknown keys", c.Port)
			}
		})
	}
	if !slices.Contains(config.Keys(), "port") || !slices.Contains(config.Keys(), "serverapp.port") {
		t.Errorf("Keys() lacks port or serverapp.port")
	}
}

func TestProxyOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"trusted_proxy": ["127.0.0.1"], "trusted_user_header": "X-Remote-User", "allowed_users": ["carol"], "public_url": "https://f.example/"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		header string
		users  string
		public string
		unix   bool
		err    string
	}{
		{name: "flags", args: []string{"--trusted-proxy", "127.0.0.1", "--trusted-user-header", "X-Remote-User", "--allowed-users", "alice,bob", "--allowed-users", "zoë", "--public-url", "https://n.example/j/"},
			header: "X-Remote-User", users: "alice bob zoë", public: "https://n.example/j/"},
		{name: "env", env: map[string]string{"QUIRE_TRUSTED_PROXY": "10.0.0.0/8", "QUIRE_TRUSTED_USER_HEADER": "X-Auth-User", "QUIRE_ALLOWED_USERS": "alice, bob", "QUIRE_PUBLIC_URL": "https://e.example/"},
			header: "X-Auth-User", users: "alice bob", public: "https://e.example/"},
		{name: "file", args: []string{"--config", file}, header: "X-Remote-User", users: "carol", public: "https://f.example/"},
		{name: "flag beats file", args: []string{"--config", file, "--allowed-users", "dave"}, header: "X-Remote-User", users: "dave", public: "https://f.example/"},
		{name: "header without proxy", args: []string{"--trusted-user-header", "X-Remote-User"}, err: "needs --trusted-proxy"},
		{name: "unix proxy", args: []string{"--sock", "/run/q.sock", "--trusted-proxy", "unix", "--trusted-user-header", "X-Remote-User"}, header: "X-Remote-User", unix: true},
		{name: "unix proxy from env", args: []string{"--sock", "/run/q.sock"}, env: map[string]string{"QUIRE_TRUSTED_PROXY": "10.0.0.1,unix"}, unix: true},
		{name: "flag replaces env unix", args: []string{"--sock", "/run/q.sock", "--trusted-proxy", "10.0.0.1"}, env: map[string]string{"QUIRE_TRUSTED_PROXY": "unix"}},
		{name: "unix proxy without sock", args: []string{"--trusted-proxy", "unix"}, err: "give --sock too"},
		{name: "users without header", args: []string{"--trusted-proxy", "127.0.0.1", "--allowed-users", "alice"}, err: "give that too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HOME": dir}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := config.Load(tc.args, envOf(env), io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.TrustedUserHeader != tc.header || strings.Join(c.AllowedUsers, " ") != tc.users || c.PublicURL != tc.public || c.TrustUnixProxy != tc.unix {
				t.Errorf("got header %q users %q public %q unix %v", c.TrustedUserHeader, c.AllowedUsers, c.PublicURL, c.TrustUnixProxy)
			}
		})
	}
}

func TestTerminalOptions(t *testing.T) {
	type want struct {
		on         bool
		shell      string
		scrollback int64
		max        int
		cull       time.Duration
		msg        int64
	}
	def := want{true, "", 256 << 10, 64, 0, 1 << 20}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want want
	}{
		{"defaults", nil, nil, def},
		{"flags", []string{"--terminals=false", "--terminal-shell", "/bin/bash --norc", "--terminal-scrollback", "1MiB",
			"--max-terminals", "3", "--terminal-cull-timeout", "1h", "--max-terminal-message-size", "64KiB"}, nil,
			want{false, "/bin/bash --norc", 1 << 20, 3, time.Hour, 64 << 10}},
		{"zero means none", []string{"--terminal-scrollback", "0", "--max-terminals", "0"}, nil,
			want{true, "", 0, 0, 0, 1 << 20}},
		{"env", nil, map[string]string{"QUIRE_TERMINALS": "false", "QUIRE_MAX_TERMINALS": "5", "QUIRE_TERMINAL_CULL_TIMEOUT": "30m"},
			want{false, "", 256 << 10, 5, 30 * time.Minute, 1 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := want{c.Terminals, c.TerminalShell, c.TerminalScrollback, c.MaxTerminals, c.TerminalCullTimeout, c.MaxTerminalMessageSize}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-terminals", "-1"}, "must not be negative"},
		{[]string{"--terminal-scrollback", "2GiB"}, "too large"},
		{[]string{"--max-terminal-message-size", "0"}, ""},
		{[]string{"--terminal-cull-timeout", "-1s"}, ""},
	} {
		if _, err := config.Load(tc.args, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want an error about %q", tc.args, err, tc.want)
		}
	}
}

func TestMetricsOptions(t *testing.T) {
	type want struct {
		on   bool
		addr string
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want want
	}{
		{"defaults", nil, nil, want{true, ""}},
		{"port only is loopback", []string{"--metrics-addr", ":9464"}, nil, want{true, "127.0.0.1:9464"}},
		{"host and port", []string{"--metrics=false", "--metrics-addr", "[::1]:9464"}, nil, want{false, "[::1]:9464"}},
		{"env", nil, map[string]string{"QUIRE_METRICS": "false", "QUIRE_METRICS_ADDR": "0.0.0.0:9100"}, want{false, "0.0.0.0:9100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, envOf(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := (want{c.Metrics, c.MetricsAddr}); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics-addr", "9464"}, "want host:port"},
		{[]string{"--metrics-addr", "localhost:http"}, "not a TCP port"},
		{[]string{"--metrics-addr", ":70000"}, "not a TCP port"},
	} {
		if _, err := config.Load(tc.args, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want an error about %q", tc.args, err, tc.want)
		}
	}
}

func TestContentsStore(t *testing.T) {
	for _, tc := range []struct {
		name           string
		args           []string
		env            map[string]string
		bucket, prefix string
		kernelRoot     string
	}{
		{"disk", nil, nil, "", "", ""},
		{"bucket", []string{"--contents-store", "s3://notebooks"}, nil, "notebooks", "", "cache"},
		{"prefix", []string{"--contents-store=s3://team.nb/users/alice/", "--kernel-root-dir", "/scratch/alice"}, nil, "team.nb", "users/alice", "/scratch/alice"},
		{"env", nil, map[string]string{"QUIRE_CONTENTS_STORE": "s3://b-1/x", "QUIRE_S3_ENDPOINT": "http://127.0.0.1:7070", "QUIRE_S3_PATH_STYLE": "true"}, "b-1", "x", "cache"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"XDG_CACHE_HOME": "/cache"}
			maps.Copy(env, tc.env)
			c, err := config.Load(tc.args, envOf(env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.S3Bucket != tc.bucket || c.S3Prefix != tc.prefix {
				t.Errorf("bucket %q prefix %q; want %q %q", c.S3Bucket, c.S3Prefix, tc.bucket, tc.prefix)
			}
			switch tc.kernelRoot {
			case "":
				if c.KernelRootDir != "" {
					t.Errorf("kernel root %q on disk", c.KernelRootDir)
				}
			case "cache":
				if !strings.HasSuffix(c.KernelRootDir, filepath.Join("quire", "kernel-root")) {
					t.Errorf("kernel root %q, want the user cache's quire/kernel-root", c.KernelRootDir)
				}
			default:
				if c.KernelRootDir != tc.kernelRoot {
					t.Errorf("kernel root %q, want %q", c.KernelRootDir, tc.kernelRoot)
				}
			}
			if c.S3Timeout != 30*time.Second || c.S3Retries != 3 {
				t.Errorf("timeout %v retries %d", c.S3Timeout, c.S3Retries)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--contents-store", "gs://b"}, "s3://BUCKET"},
		{[]string{"--contents-store", "s3://B"}, "bucket name"},
		{[]string{"--contents-store", "s3://"}, "bucket name"},
		{[]string{"--contents-store", "s3://bbb/a/../b"}, ".. segments"},
		{[]string{"--contents-store", "s3://bbb", "--s3-endpoint", "ftp://x"}, "http(s)://host"},
		{[]string{"--contents-store", "s3://bbb", "--s3-endpoint", "https://key:secret@x"}, "without a path or credentials"},
		{[]string{"--s3-sse", "yes"}, "AES256, aws:kms or aws:kms:KEY-ID"},
		{[]string{"--s3-sse", "aws:kms:"}, "aws:kms:KEY-ID"},
		{[]string{"--s3-sse", "aws:kms:a key"}, "aws:kms:KEY-ID"},
		{[]string{"--s3-retries", "-1"}, "must not be negative"},
		{[]string{"--s3-timeout", "0"}, "positive duration"},
	} {
		_, err := config.Load(tc.args, envOf(map[string]string{"XDG_CACHE_HOME": "/cache"}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestAuditFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`{"audit_log": "/from/file", "audit_refusals": 3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load([]string{"--config", file, "--audit-execute=hash"}, envOf(map[string]string{"QUIRE_AUDIT_LOG": "/var/log/quire/audit.log"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AuditLog != "/var/log/quire/audit.log" || c.AuditExecute != "hash" || c.AuditRefusals != 3 {
		t.Errorf("AuditLog %q AuditExecute %q AuditRefusals %d", c.AuditLog, c.AuditExecute, c.AuditRefusals)
	}
	d, err := config.Load(nil, envOf(nil), io.Discard)
	if err != nil || d.AuditLog != "" || d.AuditExecute != "off" || d.AuditRefusals != 10 {
		t.Errorf("defaults: %+v %v", d, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--audit-log", "-", "--audit-execute", "yes"}, "use off, hash or full"},
		{[]string{"--audit-execute", "full"}, "needs --audit-log"},
		{[]string{"--audit-log", "-", "--audit-refusals", "0"}, "--audit-refusals"},
	} {
		if _, err := config.Load(tc.args, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestBaseURLEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"/user/zo%C3%AB@ex.org", "/user/zo%C3%AB@ex.org/", ""},
		{"user/alice%2Bwork@x/", "/user/alice%2Bwork@x/", ""},
		{"/a b/", "", "whitespace"},
		{"/a%zz/", "", `--base-url "/a%zz/" has a malformed percent-escape "%zz"`},
		{"/a?x/", "", "may not contain ?"},
		{"/x/../", "", "resolve away"},
	} {
		c, err := config.Load([]string{"--base-url", tc.in}, envOf(nil), io.Discard)
		switch {
		case tc.err == "" && (err != nil || c.BaseURL != tc.want):
			t.Errorf("--base-url %q: %v, %v; want %q", tc.in, c, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("--base-url %q: %v; want an error with %q", tc.in, err, tc.err)
		}
	}
}
