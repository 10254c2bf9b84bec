package markdown_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoInitWork builds a program that only imports the package and runs
// it with GODEBUG=inittrace=1: the runtime prints a line for each package
// whose initialisation did work, and there must be none for this one.
// Measured with go1.26: the only lines past the runtime's are unicode
// (512 B) and html (312 B, a strings.Replacer), which the server imports
// anyway through net/http and html/template; html's entity table is built
// on the first UnescapeString.
func TestNoInitWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "inittrace")
	build := exec.Command(gobin, "build", "-o", bin, "./testdata/inittrace")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(bin)
	run.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "init runtime @") {
		t.Fatalf("no inittrace output; was GODEBUG honoured?\n%s", out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "init quire/") {
			t.Errorf("package initialisation did work: %s", line)
		}
	}
}
