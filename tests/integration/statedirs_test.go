//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCVE_2022_29241_StateDirsInsideRoot covers CVE-2022-29241 for every
// layout in which the served root contains Quire's own state: the runtime
// dir (runtime file with the token, kernel connection files), the data dir
// (cookie secret, sessions, TLS key) and the trust files (notebook_secret,
// nbsignatures.db), given as non-hidden directories under the root, or at
// their defaults under ~/.local/share with root=$HOME and --allow-hidden.
// No route may read, list, copy, overwrite, move or delete them, or create
// anything in them, while ordinary files keep working.
// TestCVE_2022_29241_RuntimeFilesNotServed (advisories_test.go) covers the
// default layout without --allow-hidden.
func TestCVE_2022_29241_StateDirsInsideRoot(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		run, data, trust     string // relative to the root (= HOME)
		args                 func(home string) []string
		env                  func(home string) []string
		visible, visibleWant string // a directory whose listing must omit the state, and a name it keeps
	}{
		{
			name: "flags", run: "run", data: "data", trust: "trust",
			args: func(h string) []string {
				return []string{"--runtime-dir", filepath.Join(h, "run"), "--data-dir", filepath.Join(h, "data"), "--trust-data-dir", filepath.Join(h, "trust")}
			},
			env:     func(string) []string { return nil },
			visible: "", visibleWant: "note.txt",
		},
		{
			name: "allow-hidden-defaults", run: ".local/share/jupyter/runtime", data: ".local/share/jupyter/quire", trust: ".local/share/jupyter",
			args: func(h string) []string {
				// The harness passes its own --data-dir; put back the default.
				return []string{"--allow-hidden", "--data-dir", filepath.Join(h, ".local/share/jupyter/quire")}
			},
			env: func(h string) []string {
				return []string{"HOME=" + h, "XDG_DATA_HOME=" + filepath.Join(h, ".local/share"), "JUPYTER_RUNTIME_DIR=" + filepath.Join(h, ".local/share/jupyter/runtime")}
			},
			// Jupyter's data dir stays browsable: its kernelspecs are not
			// Quire's secrets.
			visible: ".local/share/jupyter", visibleWant: "kernels",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			if err := os.MkdirAll(filepath.Join(home, ".local/share/jupyter/kernels/k"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(home, ".local/share/jupyter/kernels/k/kernel.json"), []byte(`{"argv":["false"],"display_name":"k","language":"x"}`), 0o644)
			in := startQuire(t, opts{root: home, noWait: true, args: tc.args(home), env: tc.env(home)})
			in.RuntimeDir = filepath.Join(home, tc.run)
			in.waitReady()

			// Ordinary files work; a notebook save creates the trust files.
			put := func(p string, body string) int {
				st, _, _ := in.do(in.req("PUT", "/api/contents/"+p, strings.NewReader(body)))
				return st
			}
			if st := put("note.txt", `{"type":"file","format":"text","content":"hello"}`); st != 201 && st != 200 {
				t.Fatalf("PUT note.txt: %d", st)
			}
			if st := put("n.ipynb", `{"type":"notebook","content":{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}}`); st != 201 && st != 200 {
				t.Fatalf("PUT n.ipynb: %d", st)
			}
			if st, b, _ := in.do(in.req("GET", "/files/note.txt", nil)); st != 200 || string(b) != "hello" {
				t.Fatalf("GET /files/note.txt: %d %q", st, b)
			}

			runtimeFile := fmt.Sprintf("%s/quire-%d.json", tc.run, in.cmd.Process.Pid)
			cookie := tc.data + "/quire_cookie_secret"
			secrets := []string{runtimeFile, cookie, tc.trust + "/notebook_secret", tc.trust + "/nbsignatures.db"}
			before := map[string][]byte{}
			for _, f := range secrets {
				b, err := os.ReadFile(filepath.Join(home, f))
				if err != nil {
					t.Fatalf("%s was not written where expected (%v); the test proves nothing", f, err)
				}
				before[f] = b
			}
			// A symlink into the runtime dir, as a kernel or the user might make.
			if err := os.Symlink(filepath.Join(home, tc.run), filepath.Join(home, "runlink")); err != nil {
				t.Fatal(err)
			}
			linked := fmt.Sprintf("runlink/quire-%d.json", in.cmd.Process.Pid)

			refused := func(method, p, body string) {
				t.Helper()
				var rd *strings.Reader
				if body != "" {
					rd = strings.NewReader(body)
				}
				var r *http.Request
				if rd != nil {
					r = in.req(method, p, rd)
				} else {
					r = in.req(method, p, nil)
				}
				st, b, _ := in.do(r)
				if st != 404 || strings.Contains(string(b), in.Token) || messageOf(b) == "" {
					t.Errorf("%s %s: %d %.200s; want 404 with a JSON message and no secret", method, p, st, b)
				}
			}
			missingSt, missingB, _ := in.do(in.req("GET", "/api/contents/missing.txt/checkpoints", nil))
			for _, f := range append([]string{tc.run, tc.data, linked}, secrets...) {
				refused("GET", "/api/contents/"+f+"?content=1", "")
				refused("GET", "/api/contents/"+strings.ReplaceAll(f, "/", "%2F"), "")
				if f != tc.run && f != tc.data {
					refused("GET", "/files/"+f, "")
					// Listing checkpoints answers as for a missing file: none.
					if st, b, _ := in.do(in.req("GET", "/api/contents/"+f+"/checkpoints", nil)); st != missingSt || string(b) != string(missingB) {
						t.Errorf("GET %s/checkpoints: %d %.200s; want %d %s as for a missing file", f, st, b, missingSt, missingB)
					}
					refused("POST", "/api/contents/"+f+"/checkpoints", "")
				}
				// Copying out of it, overwriting, moving, deleting it.
				refused("POST", "/api/contents", `{"copy_from":"`+f+`"}`)
				refused("PUT", "/api/contents/"+f, `{"type":"file","format":"text","content":"owned"}`)
				refused("PATCH", "/api/contents/"+f, `{"path":"moved"}`)
				refused("DELETE", "/api/contents/"+f, "")
			}
			for _, dir := range []string{tc.run, tc.data, "runlink"} {
				// Copying, moving, writing or uploading into it.
				refused("POST", "/api/contents/"+dir, `{"copy_from":"note.txt"}`)
				refused("POST", "/api/contents/"+dir, `{"type":"file"}`)
				refused("PATCH", "/api/contents/note.txt", `{"path":"`+dir+`/note.txt"}`)
				refused("PUT", "/api/contents/"+dir+"/evil.txt", `{"type":"file","format":"text","content":"owned"}`)
				refused("PUT", "/api/contents/"+dir+"/up.txt", `{"type":"file","format":"text","content":"owned","chunk":1}`)
			}
			refused("PATCH", "/api/contents/note.txt", `{"path":"`+tc.trust+`/notebook_secret"}`)
			refused("PUT", "/api/contents/"+tc.trust+"/nbsignatures.db-journal", `{"type":"file","format":"text","content":"x"}`)

			for f, b := range before {
				if now, err := os.ReadFile(filepath.Join(home, f)); err != nil || (f != tc.trust+"/nbsignatures.db" && string(now) != string(b)) {
					t.Errorf("%s changed or vanished: %v", f, err)
				}
			}
			for _, f := range []string{tc.run + "/evil.txt", tc.data + "/evil.txt", tc.run + "/note.txt", tc.run + "/up.txt", "moved"} {
				if _, err := os.Lstat(filepath.Join(home, f)); err == nil {
					t.Errorf("%s was created", f)
				}
			}

			// Listings omit the state, as they omit hidden files.
			list := func(dir string) []string {
				st, b, _ := in.do(in.req("GET", "/api/contents/"+dir+"?content=1", nil))
				if st != 200 {
					t.Fatalf("list %q: %d %s", dir, st, b)
				}
				var names []string
				for _, part := range strings.Split(string(b), `"name": "`)[1:] {
					names = append(names, part[:strings.IndexByte(part, '"')])
				}
				if len(names) == 0 {
					for _, part := range strings.Split(string(b), `"name":"`)[1:] {
						names = append(names, part[:strings.IndexByte(part, '"')])
					}
				}
				return names
			}
			for _, dir := range []string{"", tc.visible, tc.trust} {
				names := list(dir)
				for _, f := range append([]string{tc.run, tc.data, "runlink"}, secrets...) {
					if d, name := filepath.Split(f); strings.TrimSuffix(d, "/") == dir && slices.Contains(names, name) {
						t.Errorf("listing of %q shows %s: %q", dir, name, names)
					}
				}
				if dir == tc.visible && !slices.Contains(names, tc.visibleWant) {
					t.Errorf("listing of %q lost %s: %q", dir, tc.visibleWant, names)
				}
			}
			// And ordinary things in the same tree still work.
			if st, _, _ := in.do(in.req("GET", "/api/contents/n.ipynb", nil)); st != 200 {
				t.Errorf("GET n.ipynb: %d", st)
			}
			if tc.name == "allow-hidden-defaults" {
				if st, b, _ := in.do(in.req("GET", "/files/.local/share/jupyter/kernels/k/kernel.json", nil)); st != 200 || !strings.Contains(string(b), "argv") {
					t.Errorf("kernelspec in Jupyter's data dir: %d", st)
				}
			}
		})
	}
}
