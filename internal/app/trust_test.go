package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

func TestRunTrust(t *testing.T) {
	dataDir := t.TempDir()
	env := envFunc(func(k string) (string, bool) {
		if k == "JUPYTER_DATA_DIR" {
			return dataDir, true
		}
		return "", false
	})
	nbPath := filepath.Join(t.TempDir(), "a.ipynb")
	text := `{"cells":[{"cell_type":"code","execution_count":1,"id":"x","metadata":{},"outputs":[{"output_type":"display_data","data":{"text/html":"<script>1</script>"},"metadata":{}}],"source":"x"}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	if err := os.WriteFile(nbPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	trusted := func() bool {
		t.Helper()
		n, err := trust.Open(trust.Options{DataDir: dataDir})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		nb, err := nbformat.Read([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return n.Trusted(nb)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runTrust(args, env, &out, &errb)
		return code, out.String(), errb.String()
	}

	for _, tc := range []struct {
		args    []string
		code    int
		out     string // substring of stdout
		errOut  string // substring of stderr
		trusted bool
	}{
		{[]string{nbPath}, 0, "Signing notebook: " + nbPath, "", true},
		{[]string{nbPath}, 0, "Notebook already signed: " + nbPath, "", true},
		{[]string{"--reset"}, 0, "Generating new notebook key", "", false},
		{[]string{nbPath, filepath.Join(dataDir, "missing.ipynb")}, 1, "Signing notebook: " + nbPath, "Notebook missing: ", true},
		{[]string{}, 2, "", "which notebooks? give their paths, or --reset (see quire trust --help)", true},
		{[]string{"--reset", nbPath}, 2, "", "give notebooks or --reset, not both (see quire trust --help)", true},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.errOut) {
			t.Errorf("quire trust %q = %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out, errOut, tc.code, tc.out, tc.errOut)
		}
		if got := trusted(); got != tc.trusted {
			t.Errorf("after quire trust %q: trusted = %v, want %v", tc.args, got, tc.trusted)
		}
	}

	// --trust-data-dir overrides the default.
	other := t.TempDir()
	if code, _, errOut := run("--trust-data-dir", other, nbPath); code != 0 {
		t.Fatalf("--trust-data-dir: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(other, trust.DatabaseFile)); err != nil {
		t.Errorf("--trust-data-dir ignored: %v", err)
	}
}
