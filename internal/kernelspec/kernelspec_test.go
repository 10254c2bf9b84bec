package kernelspec_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/kernelspec"

	"quire/internal/kernelspec/kernelspectest"
)

func specJSON(display string) string {
	b, _ := json.Marshal(map[string]any{"argv": []string{"/bin/true", "{connection_file}"}, "display_name": display, "language": "python"})
	return string(b)
}

func TestSearchPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"home only", map[string]string{"HOME": "/h"},
			[]string{"/h/.local/share/jupyter/kernels", "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"}},
		{"xdg", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/x"},
			[]string{"/x/jupyter/kernels", "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"}},
		{"data dir wins over xdg", map[string]string{"HOME": "/h", "XDG_DATA_HOME": "/x", "JUPYTER_DATA_DIR": "/d"},
			[]string{"/d/kernels", "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"}},
		{"jupyter path first, in order, duplicates dropped", map[string]string{"HOME": "/h", "JUPYTER_PATH": "/a::/b:/usr/share/jupyter"},
			[]string{"/a/kernels", "/b/kernels", "/usr/share/jupyter/kernels", "/h/.local/share/jupyter/kernels", "/usr/local/share/jupyter/kernels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kernelspec.SearchPath(func(k string) string { return tc.env[k] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SearchPath (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadSpecs(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	kernelspectest.Write(t, first, "python3", specJSON("first"), "logo-64x64.png", "logo-svg.svg", "kernel.js", "other.txt")
	kernelspectest.Write(t, second, "python3", specJSON("second"))
	kernelspectest.Write(t, second, "Julia", specJSON("Julia"), "kernel.css")
	kernelspectest.Write(t, second, "broken", `{"argv": [`)
	kernelspectest.Write(t, second, "noargv", `{"display_name": "x", "language": "x"}`)
	kernelspectest.Write(t, second, "bad name!", specJSON("bad"))
	kernelspectest.Write(t, second, "badmode", `{"argv": ["x"], "display_name": "x", "interrupt_mode": "poke"}`)
	if err := os.MkdirAll(filepath.Join(second, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	specs := kernelspec.Load([]string{first, filepath.Join(t.TempDir(), "missing"), second}, log)

	var names []string
	for _, sp := range specs.List() {
		names = append(names, sp.Name)
	}
	if want := []string{"julia", "python3"}; !slices.Equal(names, want) {
		t.Errorf("List names = %v, want %v", names, want)
	}
	for _, tc := range []struct {
		name, display string
		ok            bool
	}{
		{"python3", "first", true}, // first directory wins
		{"PYTHON3", "first", true}, // case-insensitive
		{"julia", "Julia", true},
		{"JULIA", "Julia", true},
		{"broken", "", false},
		{"noargv", "", false},
		{"bad name!", "", false},
		{"badmode", "", false},
		{"empty", "", false},
		{"nope", "", false},
	} {
		sp, ok := specs.Get(tc.name)
		if ok != tc.ok || ok && sp.DisplayName != tc.display {
			t.Errorf("Get(%q) = %v, %v; want display %q, %v", tc.name, sp, ok, tc.display, tc.ok)
		}
	}
	if got := specs.Default(); got != "python3" {
		t.Errorf("Default = %q, want python3", got)
	}
	for _, f := range []string{"broken/kernel.json", "noargv/kernel.json", "bad name!/kernel.json", "badmode/kernel.json"} {
		if !strings.Contains(logs.String(), filepath.Join(second, f)) {
			t.Errorf("no warning naming %s in log:\n%s", f, logs.String())
		}
	}
	// Warnings are not repeated on every read.
	n := strings.Count(logs.String(), "\n")
	specs.List()
	if m := strings.Count(logs.String(), "\n"); m != n {
		t.Errorf("List repeated warnings: %d lines, then %d", n, m)
	}

	sp, _ := specs.Get("python3")
	if sp.InterruptMode != "signal" {
		t.Errorf("InterruptMode = %q, want signal", sp.InterruptMode)
	}
	got := sp.Model("/base/")
	want := kernelspec.Model{
		Name: "python3",
		Spec: kernelspec.ModelSpec{
			Argv: []string{"/bin/true", "{connection_file}"}, Env: map[string]string{}, DisplayName: "first",
			Language: "python", InterruptMode: "signal", Metadata: map[string]any{},
		},
		Resources: map[string]string{
			"logo-64x64": "/base/kernelspecs/python3/logo-64x64.png",
			"logo-svg":   "/base/kernelspecs/python3/logo-svg.svg",
			"kernel.js":  "/base/kernelspecs/python3/kernel.js",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Model (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil || !strings.Contains(string(b), `"interrupt_mode":"signal"`) || strings.Contains(string(b), "kernel_protocol_version") {
		t.Errorf("Model JSON = %s, %v", b, err)
	}
}

func TestDefaultWithoutPython3(t *testing.T) {
	dir := t.TempDir()
	kernelspectest.Write(t, dir, "zeta", specJSON("z"))
	kernelspectest.Write(t, dir, "alpha", specJSON("a"))
	if got := kernelspec.Load([]string{dir}, nil).Default(); got != "alpha" {
		t.Errorf("Default = %q, want alpha", got)
	}
	if got := kernelspec.Load(nil, nil).Default(); got != "" {
		t.Errorf("Default of nothing = %q, want empty", got)
	}
}

func TestSpecOpen(t *testing.T) {
	dir := t.TempDir()
	d := kernelspectest.Write(t, dir, "k", specJSON("k"), "logo-64x64.png")
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "secret"), filepath.Join(d, "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO for reading would wait for a writer.
	if err := syscall.Mkfifo(filepath.Join(d, "pipe.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, ok := kernelspec.Load([]string{dir}, nil).Get("k")
	if !ok {
		t.Fatal("spec k not found")
	}
	for _, tc := range []struct {
		file string
		want string // "" = refused
	}{
		{"logo-64x64.png", "data of logo-64x64.png"},
		{"kernel.json", specJSON("k")},
		{"../secret", ""},
		{"/etc/passwd", ""},
		{filepath.Join(dir, "secret"), ""},
		{"link.png", ""}, // symlink leaving the dir
		{"sub", ""},      // directory
		{"pipe.png", ""}, // FIFO
		{"", ""},
		{"missing.png", ""},
	} {
		f, _, err := sp.Open(tc.file)
		if tc.want == "" {
			if err == nil {
				f.Close()
				t.Errorf("Open(%q) succeeded, want refusal", tc.file)
			}
			continue
		}
		if err != nil {
			t.Errorf("Open(%q): %v", tc.file, err)
			continue
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != tc.want {
			t.Errorf("Open(%q) read %q, want %q", tc.file, b, tc.want)
		}
	}
}
