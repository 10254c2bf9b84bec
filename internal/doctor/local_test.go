package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/doctor"
	"quire/internal/testca"
)

// healthy is a setup with nothing wrong, in dir: loopback, a token,
// private dirs, a kernelspec whose program exists.
func healthy(t *testing.T, dir string) doctor.Setup {
	t.Helper()
	mk := func(p string, mode os.FileMode) string {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	data := mk("data", 0o700)
	specs := mk("kernels", 0o755)
	writeSpec(t, specs, "sh", `{"argv": ["/bin/sh", "-c", "true", "{connection_file}"], "display_name": "Shell"}`)
	trash := filepath.Join(dir, "Trash")
	return doctor.Setup{
		IP: "127.0.0.1", Loopback: true, Port: 0, Token: true,
		RootDir: mk("root", 0o755), DataDir: data, RuntimeDir: mk("runtime", 0o700),
		CookieSecret:   filepath.Join(data, "quire_cookie_secret"),
		KernelSpecDirs: []string{specs}, KernelTransport: "tcp",
		DeleteToTrash: true,
		TrashCan:      func(string) (string, string, error) { return trash, "", nil },
		KnownKeys:     []string{"ip", "port", "port-retries", "token", "serverapp.port", "kernel-transport"},
		Hostname:      "box.example",
		Now:           time.Now(),
	}
}

func writeSpec(t *testing.T, dir, name, kernelJSON string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "kernel.json"), []byte(kernelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, data string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask aside
		t.Fatal(err)
	}
	return p
}

// find returns the first finding whose ID is id or starts with id+":".
func find(r *doctor.Report, id string) (doctor.Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id || strings.HasPrefix(f.ID, id+":") {
			return f, true
		}
	}
	return doctor.Finding{}, false
}

// want is a finding a broken setup must produce: its id (or id prefix),
// level, and words its title, detail or fix must hold.
type want struct {
	id    string
	level doctor.Level
	words []string
}

func check(t *testing.T, r *doctor.Report, w want) {
	t.Helper()
	f, ok := find(r, w.id)
	if !ok {
		var b bytes.Buffer
		r.WriteText(&b)
		t.Fatalf("no finding %s; report:\n%s", w.id, b.String())
	}
	if f.Level != w.level {
		t.Errorf("%s: level %s, want %s (%s)", f.ID, f.Level, w.level, f.Title)
	}
	all := f.Title + "\n" + f.Detail + "\n" + f.Fix
	for _, word := range w.words {
		if !strings.Contains(all, word) {
			t.Errorf("%s does not say %q:\n%s", f.ID, word, all)
		}
	}
	if w.level != doctor.OK && f.Fix == "" {
		t.Errorf("%s is %s but names no fix", f.ID, f.Level)
	}
}

func TestLocalHealthy(t *testing.T) {
	s := healthy(t, t.TempDir())
	r := doctor.Local(context.Background(), s)
	for _, f := range r.Findings {
		if f.Level != doctor.OK && f.ID != "disk.free" { // the test machine's disk is what it is
			t.Errorf("healthy setup: %s %s: %s", f.Level, f.ID, f.Title)
		}
	}
	for _, id := range []string{"bind.address", "dirs.data", "dirs.runtime", "dirs.cookie-secret", "kernels.spec:sh", "kernels.transport", "trash", "disk.free", "server.running"} {
		if _, ok := find(r, id); !ok {
			t.Errorf("no %s finding", id)
		}
	}
}

func TestLocalBroken(t *testing.T) {
	ca := testca.NewT(t, "Doctor Test CA")
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string, s *doctor.Setup)
		want  want
	}{
		{"public bind without TLS", func(t *testing.T, dir string, s *doctor.Setup) {
			s.IP, s.Wildcard, s.Loopback = "0.0.0.0", true, false
		}, want{"bind.tls", doctor.Error, []string{"without TLS", "--tls self-signed", "--ip 127.0.0.1 --trusted-proxy 127.0.0.1"}}},
		{"public bind without an audit log", func(t *testing.T, dir string, s *doctor.Setup) {
			s.IP, s.Wildcard, s.Loopback = "0.0.0.0", true, false
		}, want{"audit.log", doctor.Warn, []string{"without an audit log", "--audit-log"}}},
		{"audit log in a missing directory", func(t *testing.T, dir string, s *doctor.Setup) {
			s.AuditLog = filepath.Join(dir, "nope", "audit.log")
		}, want{"audit.log", doctor.Error, []string{"does not exist", "mkdir -p"}}},
		{"public bind without authentication", func(t *testing.T, dir string, s *doctor.Setup) {
			s.IP, s.Wildcard, s.Loopback, s.Token = "0.0.0.0", true, false, false
		}, want{"bind.auth", doctor.Error, []string{"without authentication", "quire password --write"}}},
		{"world-readable config file holding the token", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{"token": "x"}`, 0o644)
			s.ConfigSecrets = true
		}, want{"config.mode", doctor.Error, []string{"readable by group or others", "chmod 600 "}}},
		{"world-readable config file without secrets", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{"port": 1}`, 0o604)
		}, want{"config.mode", doctor.Warn, []string{"mode 0604", "chmod 600"}}},
		{"group-writable config file", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{}`, 0o620)
		}, want{"config.mode", doctor.Error, []string{"writable by group or others"}}},
		{"config dir writable by others", func(t *testing.T, dir string, s *doctor.Setup) {
			cd := filepath.Join(dir, "cfg")
			if err := os.Mkdir(cd, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(cd, 0o777); err != nil {
				t.Fatal(err)
			}
			s.ConfigFile = writeFile(t, filepath.Join(cd, "config.json"), `{}`, 0o600)
		}, want{"config.dir-mode", doctor.Error, []string{"chmod go-w"}}},
		{"unknown config key with a near miss", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{"prot": 1}`, 0o600)
			s.UnknownKeys = []string{"prot"}
		}, want{"config.unknown-key:prot", doctor.Error, []string{`did you mean "port"?`, `Rename "prot" to "port"`}}},
		{"unknown Jupyter-style key with a near miss", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{}`, 0o600)
			s.UnknownKeys = []string{"ServerApp.prot"}
		}, want{"config.unknown-key:ServerApp.prot", doctor.Error, []string{`"serverapp.port"`}}},
		{"unknown config key far from any", func(t *testing.T, dir string, s *doctor.Setup) {
			s.ConfigFile = writeFile(t, filepath.Join(dir, "config.json"), `{}`, 0o600)
			s.UnknownKeys = []string{"colour_scheme"}
		}, want{"config.unknown-key:colour_scheme", doctor.Error, []string{`Remove "colour_scheme"`}}},
		{"world-readable cookie secret", func(t *testing.T, dir string, s *doctor.Setup) {
			writeFile(t, s.CookieSecret, "c2VjcmV0\n", 0o644)
		}, want{"dirs.cookie-secret", doctor.Error, []string{"mode 0644", "chmod 600 ", "forge login cookies"}}},
		{"data dir writable by others", func(t *testing.T, dir string, s *doctor.Setup) {
			if err := os.Chmod(s.DataDir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, want{"dirs.data", doctor.Error, []string{"chmod 700"}}},
		{"runtime dir readable by others", func(t *testing.T, dir string, s *doctor.Setup) {
			if err := os.Chmod(s.RuntimeDir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, want{"dirs.runtime", doctor.Warn, []string{"mode 0755", "chmod 700"}}},
		{"kernelspec whose program does not exist", func(t *testing.T, dir string, s *doctor.Setup) {
			writeSpec(t, s.KernelSpecDirs[0], "gone", `{"argv": ["/nonexistent/python9", "-f", "{connection_file}"], "display_name": "Gone"}`)
		}, want{"kernels.spec:gone", doctor.Error, []string{"/nonexistent/python9", "is not found", "jupyter kernelspec remove gone"}}},
		{"kernelspec program not on PATH", func(t *testing.T, dir string, s *doctor.Setup) {
			writeSpec(t, s.KernelSpecDirs[0], "nopath", `{"argv": ["no-such-python-doctor", "-f", "{connection_file}"], "display_name": "X"}`)
		}, want{"kernels.spec:nopath", doctor.Error, []string{"not found on PATH"}}},
		{"kernelspec program not executable", func(t *testing.T, dir string, s *doctor.Setup) {
			p := writeFile(t, filepath.Join(dir, "notexec"), "#!/bin/sh\n", 0o644)
			writeSpec(t, s.KernelSpecDirs[0], "noexec", `{"argv": ["`+p+`", "{connection_file}"], "display_name": "X"}`)
		}, want{"kernels.spec:noexec", doctor.Error, []string{"is not executable (mode 0644)"}}},
		{"kernelspec without connection file", func(t *testing.T, dir string, s *doctor.Setup) {
			writeSpec(t, s.KernelSpecDirs[0], "noconn", `{"argv": ["/bin/sh"], "display_name": "X"}`)
		}, want{"kernels.spec:noconn", doctor.Error, []string{"{connection_file}"}}},
		{"broken kernel.json", func(t *testing.T, dir string, s *doctor.Setup) {
			writeSpec(t, s.KernelSpecDirs[0], "broken", `{"argv": [`)
		}, want{"kernels.broken", doctor.Error, []string{"broken", "kernel.json"}}},
		{"no kernelspecs", func(t *testing.T, dir string, s *doctor.Setup) {
			s.KernelSpecDirs = []string{filepath.Join(dir, "none")}
		}, want{"kernels.none", doctor.Warn, []string{"ipykernel"}}},
		{"ipc transport with a runtime dir too long", func(t *testing.T, dir string, s *doctor.Setup) {
			s.KernelTransport, s.TransportErr = "ipc", errors.New("kernel socket paths would be 120 bytes")
		}, want{"kernels.transport", doctor.Error, []string{"120 bytes", "--runtime-dir"}}},
		{"trash can cannot be made", func(t *testing.T, dir string, s *doctor.Setup) {
			ro := filepath.Join(dir, "ro")
			if err := os.Mkdir(ro, 0o500); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() == 0 {
				// root may write anywhere; a file in the way stops it too.
				writeFile(t, filepath.Join(ro, "Trash"), "", 0o600)
			}
			s.TrashCan = func(string) (string, string, error) { return filepath.Join(ro, "Trash", "files"), "", nil }
		}, want{"trash", doctor.Error, []string{"--delete-to-trash=false"}}},
		{"expired certificate", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}, NotBefore: time.Now().Add(-100 * 24 * time.Hour), NotAfter: time.Now().Add(-3 * 24 * time.Hour)}).WriteT(t, dir, "server")
			s.CertFile, s.KeyFile = f.Cert, f.Key
			s.Roots = ca.Pool
		}, want{"cert.expiry", doctor.Error, []string{"expired", "Renew"}}},
		{"certificate expiring soon", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}, NotAfter: time.Now().Add(5 * 24 * time.Hour)}).WriteT(t, dir, "server")
			s.CertFile, s.KeyFile = f.Cert, f.Key
			s.Roots = ca.Pool
		}, want{"cert.expiry", doctor.Warn, []string{"expires in 4 days"}}},
		{"certificate for the wrong name", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"other.example"}}).WriteT(t, dir, "server")
			s.CertFile, s.KeyFile = f.Cert, f.Key
			s.IP, s.Wildcard, s.Loopback = "0.0.0.0", true, false
			s.Roots = ca.Pool
		}, want{"cert.names", doctor.Error, []string{"does not cover box.example", "other.example"}}},
		{"certificate chain from an unknown CA", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}}).WriteT(t, dir, "server")
			s.CertFile, s.KeyFile = f.Cert, f.Key // s.Roots: the system's, which lack the test CA
		}, want{"cert.chain", doctor.Error, []string{"intermediate", "fullchain.pem"}}},
		{"self-signed certificate", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}, SelfSigned: true}).WriteT(t, dir, "server")
			s.CertFile, s.KeyFile = f.Cert, f.Key
		}, want{"cert.chain", doctor.Warn, []string{"self-signed", "fingerprint"}}},
		{"key not matching the certificate", func(t *testing.T, dir string, s *doctor.Setup) {
			f := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}}).WriteT(t, dir, "server")
			other := ca.IssueT(t, testca.Leaf{Names: []string{"127.0.0.1"}}).WriteT(t, dir, "other")
			s.CertFile, s.KeyFile = f.Cert, other.Key
		}, want{"cert.files", doctor.Error, []string{"does not match"}}},
		{"stale server in the runtime dir", func(t *testing.T, dir string, s *doctor.Setup) {
			s.Servers = []doctor.Server{{PID: 4242, URL: "http://127.0.0.1:1/", Port: 1}}
			s.Probe = func(context.Context, doctor.Server) error { return errors.New("connection refused") }
		}, want{"server.running:4242", doctor.Warn, []string{"does not answer", "quire stop 1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := healthy(t, dir)
			tc.setup(t, dir, &s)
			r := doctor.Local(context.Background(), s)
			check(t, r, tc.want)
			if got, min := r.ExitCode(), map[doctor.Level]int{doctor.Warn: 1, doctor.Error: 2}[tc.want.level]; got < min {
				t.Errorf("exit code %d, want at least %d", got, min)
			}
		})
	}
}

func TestReportOutput(t *testing.T) {
	r := &doctor.Report{Target: "x", Findings: []doctor.Finding{
		{ID: "a", Level: doctor.OK, Title: "fine"},
		{ID: "b", Level: doctor.Warn, Title: "meh", Detail: "why", Fix: "do this"},
		{ID: "c", Level: doctor.Skip, Title: "not run", Fix: "enable it"},
	}}
	if r.ExitCode() != 1 {
		t.Errorf("exit %d, want 1", r.ExitCode())
	}
	var text bytes.Buffer
	r.WriteText(&text)
	for _, s := range []string{"  ok     fine\n", "  warn   meh\n", "WARN b: meh\n    why\n  Fix:\n    do this\n", "SKIP c", "1 ok, 1 warnings, 0 errors, 1 skipped."} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text output lacks %q:\n%s", s, text.String())
		}
	}
	if strings.Contains(text.String(), "A a:") || strings.Contains(text.String(), "OK a") {
		t.Errorf("text output details an ok finding:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema   int
		Target   string
		Status   doctor.Level
		Findings []doctor.Finding
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != 1 || got.Status != doctor.Warn || len(got.Findings) != 3 || got.Findings[1].Fix != "do this" || got.Findings[2].Level != doctor.Skip {
		t.Errorf("JSON round trip: %+v\n%s", got, js.String())
	}
	if !strings.Contains(js.String(), `"level": "warn"`) {
		t.Errorf("levels are not written by name:\n%s", js.String())
	}
}

func TestLocalS3(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cond  bool
		err   error
		level map[string]doctor.Level
	}{
		{"conditional", true, nil, map[string]doctor.Level{"s3.reach": doctor.OK, "s3.conditional": doctor.OK}},
		{"race window", false, nil, map[string]doctor.Level{"s3.reach": doctor.OK, "s3.conditional": doctor.Warn}},
		{"unreachable", false, errors.New("S3 bucket nb is unreachable; try again"), map[string]doctor.Level{"s3.reach": doctor.Error}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := healthy(t, t.TempDir())
			s.S3 = &doctor.S3Store{Store: "s3://nb", Probe: func(context.Context) (bool, error) { return tc.cond, tc.err }}
			r := doctor.Local(context.Background(), s)
			found := 0
			for _, f := range r.Findings {
				if want, ok := tc.level[f.ID]; ok {
					found++
					if f.Level != want {
						t.Errorf("%s: level %v, want %v (%s)", f.ID, f.Level, want, f.Title)
					}
				}
			}
			if found != len(tc.level) {
				t.Errorf("found %d of the S3 findings %v", found, tc.level)
			}
		})
	}
}
