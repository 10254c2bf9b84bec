//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pyNotary runs nbformat's NotebookNotary over dataDir: "sign" or "check"
// the notebook file; it prints True/False for check.
func pyNotary(t *testing.T, dataDir, action, file string) string {
	t.Helper()
	script := `import sys, nbformat
from nbformat.sign import NotebookNotary
n = NotebookNotary(data_dir=sys.argv[1])
nb = nbformat.read(sys.argv[3], as_version=4)
if sys.argv[2] == "sign":
    n.sign(nb)
    print("signed")
else:
    print(n.check_signature(nb))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, dataDir, action, file).CombinedOutput()
	if err != nil {
		t.Fatalf("nbformat notary %s: %v\n%s", action, err, out)
	}
	return strings.TrimSpace(string(out))
}

func needNbformat(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import nbformat.sign").Run(); err != nil {
		t.Skip("Debian python3-nbformat is not installed")
	}
}

const htmlNotebook = `{"cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "outputs": [{"data": {"text/html": ["<b>hi</b>"], "text/plain": ["hi"]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}], "source": ["x"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
`

func cellTrusted(t *testing.T, in *instance, p string) bool {
	t.Helper()
	status, body, _ := in.do(in.req("GET", "api/contents/"+p, nil))
	if status != 200 {
		t.Fatalf("GET %s: %d %s", p, status, body)
	}
	var m struct {
		Content struct {
			Cells []struct {
				Metadata map[string]any `json:"metadata"`
			} `json:"cells"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &m); err != nil || len(m.Content.Cells) == 0 {
		t.Fatalf("GET %s: %v %s", p, err, body)
	}
	v, ok := m.Content.Cells[0].Metadata["trusted"].(bool)
	if !ok {
		t.Fatalf("GET %s: code cell without metadata.trusted: %s", p, body)
	}
	return v
}

// TestTrustSharedWithJupyter: Jupyter's signatures are Quire's and the
// other way round, on the same files and the same data dir.
func TestTrustSharedWithJupyter(t *testing.T) {
	needNbformat(t)
	trustDir := t.TempDir()
	in := startQuire(t, opts{args: []string{"--trust-data-dir", trustDir}})
	file := filepath.Join(in.Root, "signed.ipynb")
	if err := os.WriteFile(file, []byte(htmlNotebook), 0o644); err != nil {
		t.Fatal(err)
	}
	if cellTrusted(t, in, "signed.ipynb") {
		t.Fatal("an unsigned notebook with HTML output is reported trusted")
	}
	// Jupyter signs → Quire trusts.
	pyNotary(t, trustDir, "sign", file)
	if !cellTrusted(t, in, "signed.ipynb") {
		t.Fatal("a notebook signed by nbformat's notary is not trusted by Quire")
	}
	// Edited on disk → untrusted.
	os.WriteFile(file, []byte(strings.Replace(htmlNotebook, "<b>hi</b>", "<b>changed</b>", 1)), 0o644)
	if cellTrusted(t, in, "signed.ipynb") {
		t.Fatal("a notebook changed on disk is still trusted")
	}

	// Quire signs on save when every code cell is trusted → Jupyter trusts.
	var nb map[string]any
	json.Unmarshal([]byte(htmlNotebook), &nb)
	nb["cells"].([]any)[0].(map[string]any)["metadata"] = map[string]any{"trusted": true}
	r := in.req("PUT", "api/contents/mine.ipynb", jsonBody(t, map[string]any{"type": "notebook", "content": nb}))
	if status, body, _ := in.do(r); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if got := pyNotary(t, trustDir, "check", filepath.Join(in.Root, "mine.ipynb")); got != "True" {
		t.Fatalf("nbformat's notary on a notebook Quire signed: %s", got)
	}
	disk, _ := os.ReadFile(filepath.Join(in.Root, "mine.ipynb"))
	if strings.Contains(string(disk), "trusted") || strings.Contains(string(disk), "signature") {
		t.Fatalf("trust fields were written into the file:\n%s", disk)
	}

	// A save with untrusted HTML output is not signed. (Different content:
	// signatures cover the content, so an identical notebook would already
	// be known.)
	json.Unmarshal([]byte(strings.Replace(htmlNotebook, "<b>hi</b>", "<script>theirs()</script>", 1)), &nb)
	nb["cells"].([]any)[0].(map[string]any)["metadata"] = map[string]any{"trusted": false}
	r = in.req("PUT", "api/contents/theirs.ipynb", jsonBody(t, map[string]any{"type": "notebook", "content": nb}))
	if status, body, _ := in.do(r); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if got := pyNotary(t, trustDir, "check", filepath.Join(in.Root, "theirs.ipynb")); got != "False" {
		t.Fatalf("a save with untrusted HTML output was signed: %s", got)
	}
	// The trust endpoint signs it.
	if status, body, _ := in.do(in.req("POST", "api/contents/theirs.ipynb/trust", nil)); status >= 300 {
		t.Fatalf("POST trust: %d %s", status, body)
	}
	if got := pyNotary(t, trustDir, "check", filepath.Join(in.Root, "theirs.ipynb")); got != "True" {
		t.Fatalf("after POST .../trust nbformat says %s", got)
	}

	// quire trust FILE and --reset, while the server runs.
	other := filepath.Join(in.Root, "cli.ipynb")
	os.WriteFile(other, []byte(strings.Replace(htmlNotebook, "<b>hi</b>", "<i>cli</i>", 1)), 0o644)
	env := []string{"HOME=" + in.Home}
	if out, errOut, err := runQuire(t, env, "", "trust", "--trust-data-dir", trustDir, other); err != nil || !strings.Contains(out, "Signing notebook") {
		t.Fatalf("quire trust: %v %s %s", err, out, errOut)
	}
	if !cellTrusted(t, in, "cli.ipynb") || pyNotary(t, trustDir, "check", other) != "True" {
		t.Fatal("quire trust did not sign the notebook for both Quire and Jupyter")
	}
	if out, errOut, err := runQuire(t, env, "", "trust", "--trust-data-dir", trustDir, "--reset"); err != nil {
		t.Fatalf("quire trust --reset: %v %s %s", err, out, errOut)
	}
	if cellTrusted(t, in, "cli.ipynb") {
		t.Fatal("after quire trust --reset the notebook is still trusted")
	}
}
