//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks docs/deploy/systemd.md as written: systemd-analyze
// verify accepts the unit without a single warning (when it is
// installed), and Quire starts with the unit's command line, environment
// and config file, state and runtime directories moved into the test's
// own, and asks for the password the file names.
func TestSystemdUnit(t *testing.T) {
	bin := quireBin(t)
	home := t.TempDir()
	state, cred := filepath.Join(home, "state"), filepath.Join(home, "cred")
	unit := substitute(t, "systemd", recipeBlock(t, "systemd.md", "systemd"), "/usr/local/bin/quire", bin)

	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		file := filepath.Join(t.TempDir(), "quire.service")
		writeFile(t, file, unit)
		out, err := exec.Command(sa, "verify", file).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("systemd-analyze not installed: unit not verified")
	}

	// What systemd would run: ExecStart (continuation lines joined) and
	// Environment, with %d and the directories systemd makes replaced.
	paths := strings.NewReplacer("%d", cred, "/var/lib/quire", state, "/var/cache/quire", filepath.Join(home, "cache"),
		"/run/quire", filepath.Join(home, "runtime"))
	var args, env []string
	for _, line := range strings.Split(strings.ReplaceAll(unit, "\\\n", " "), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			f := strings.Fields(paths.Replace(v))
			args = f[1:]
		}
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			env = append(env, strings.Fields(paths.Replace(v))...)
		}
	}
	if len(args) == 0 {
		t.Fatal("no ExecStart in the unit")
	}
	for _, d := range []string{state, filepath.Join(state, "notebooks"), filepath.Join(state, "data"), cred} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := substitute(t, "systemd-config", recipeBlock(t, "systemd.md", "systemd-config"),
		"argon2:$argon2id$v=19$m=10240,t=10,p=8$…", "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a") // "mypassword"
	if err := os.WriteFile(filepath.Join(cred, "quire.json"), []byte(conf), 0o400); err != nil {
		t.Fatal(err)
	}

	in := startQuire(t, opts{home: home, args: args, env: env})
	if !strings.HasSuffix(in.URL, "/jupyter/") || in.Token != "" {
		t.Fatalf("runtime file: url %q, token set %v; want the base URL /jupyter/ and no token (a password is set)", in.URL, in.Token != "")
	}
	c := in.client()
	if st, _, _ := send(t, c, in.req("GET", "api/status", nil)); st != http.StatusForbidden {
		t.Errorf("api/status without logging in: %d, want 403", st)
	}
	send(t, c, in.req("GET", "login", nil))
	form := url.Values{"password": {"mypassword"}, "_xsrf": {cookieValue(c, in, "_xsrf")}}
	r := in.req("POST", "login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if st, body, _ := send(t, c, r); st != http.StatusFound {
		t.Fatalf("login with the config file's password: %d %s", st, body)
	}
	if st, body, _ := send(t, c, in.req("GET", "api/contents", nil)); st != 200 {
		t.Errorf("api/contents after login: %d %s", st, body)
	}
	// The state directory holds what Quire keeps: the cookie secret in
	// the data dir, trust in JUPYTER_DATA_DIR.
	if _, err := os.Stat(filepath.Join(state, "data", "quire_cookie_secret")); err != nil {
		t.Errorf("the data dir is not where the unit says: %v", err)
	}
}

// TestContainerCommand checks what this machine can of
// docs/deploy/container.md's Dockerfile (the image build is not run):
// Quire starts with the image's CMD, the port made 0, and the
// HEALTHCHECK command passes against it, and fails against nothing.
func TestContainerCommand(t *testing.T) {
	df := recipeBlock(t, "container.md", "dockerfile")
	instr := func(name string) string {
		var cur, found string
		for _, line := range strings.Split(df, "\n") {
			if cur != "" {
				cur += " " + strings.TrimSpace(strings.TrimSuffix(line, "\\"))
			} else if strings.HasPrefix(line, name+" ") {
				cur = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, name+" "), "\\"))
			}
			if cur != "" && !strings.HasSuffix(line, "\\") {
				found, cur = cur, ""
			}
		}
		if found == "" {
			t.Fatalf("the Dockerfile has no %s", name)
		}
		return found
	}
	if ep := instr("ENTRYPOINT"); ep != `["/usr/local/bin/quire"]` {
		t.Fatalf("ENTRYPOINT %s: want Quire itself as PID 1", ep)
	}
	if u := instr("USER"); strings.HasPrefix(u, "0") || strings.HasPrefix(u, "root") {
		t.Fatalf("USER %s: want a non-root numeric user", u)
	}
	var args []string
	if err := json.Unmarshal([]byte(substitute(t, "dockerfile CMD", instr("CMD"), `"--port", "8888"`, `"--port", "0"`)), &args); err != nil {
		t.Fatalf("CMD: %v", err)
	}
	in := startQuire(t, opts{args: append(args, "--root-dir", t.TempDir())})
	if in.Token == "" {
		t.Fatal("with --ip 0.0.0.0 and no password Quire must generate a token")
	}

	hc := instr("HEALTHCHECK")
	_, cmdJSON, ok := strings.Cut(hc, "CMD ")
	var hcArgs []string
	if !ok || json.Unmarshal([]byte(cmdJSON), &hcArgs) != nil || len(hcArgs) < 2 {
		t.Fatalf("HEALTHCHECK %q: want CMD [\"python3\", …]", hc)
	}
	run := func(port string) error {
		a := append([]string{}, hcArgs...)
		for i := range a {
			a[i] = strings.ReplaceAll(a[i], "127.0.0.1:8888", "127.0.0.1:"+port)
		}
		if a[0] == "python3" {
			a[0] = "/usr/bin/python3"
		}
		return exec.Command(a[0], a[1:]...).Run()
	}
	if err := run(fmt.Sprint(in.Port)); err != nil {
		t.Errorf("HEALTHCHECK against the running Quire: %v", err)
	}
	if err := run(freePort(t)); err == nil {
		t.Error("HEALTHCHECK passes with nothing listening")
	}
}
