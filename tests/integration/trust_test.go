//go:build integration

package integration

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
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

	// Quire signs a save whose rich output it can vouch for (here: it was
	// in signed.ipynb when Quire loaded it trusted) → Jupyter trusts it.
	// The notebook differs from signed.ipynb (another cell id), so only
	// Quire's own signature can make it trusted.
	var nb map[string]any
	json.Unmarshal([]byte(htmlNotebook), &nb)
	nb["cells"].([]any)[0].(map[string]any)["metadata"] = map[string]any{"trusted": true}
	nb["cells"].([]any)[0].(map[string]any)["id"] = "mine"
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

// hostileNotebook claims trust for HTML and JavaScript it did not produce
// here, as an uploaded file can.
const hostileNotebook = `{"cells": [
 {"cell_type": "code", "execution_count": 1, "id": "h1", "metadata": {"trusted": true}, "source": "x",
  "outputs": [{"output_type": "display_data", "data": {"text/html": "<img src=x onerror=steal()>", "text/plain": "x"}, "metadata": {}}]},
 {"cell_type": "code", "execution_count": 2, "id": "h2", "metadata": {"trusted": true}, "source": "y",
  "outputs": [{"output_type": "execute_result", "execution_count": 2, "data": {"application/javascript": "steal()"}, "metadata": {}}]}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`

// TestTrustedByUpload (issue #14, hole 6): a notebook PUT whose cells
// claim metadata.trusted is not signed, whether sent whole or in chunks;
// output this server's kernel produced is, flagged the same way.
func TestTrustedByUpload(t *testing.T) {
	needNbformat(t)
	needIPyKernel(t)
	trustDir := t.TempDir()
	in := startQuire(t, opts{args: []string{"--trust-data-dir", trustDir}})
	check := func(p string, want bool) {
		t.Helper()
		if got := cellTrusted(t, in, p); got != want {
			t.Errorf("%s: GET says trusted = %v, want %v", p, got, want)
		}
		wantPy := map[bool]string{true: "True", false: "False"}[want]
		if got := pyNotary(t, trustDir, "check", filepath.Join(in.Root, p)); got != wantPy {
			t.Errorf("%s: nbformat's notary says %s, want %s", p, got, wantPy)
		}
	}

	// (1) A whole PUT, as the page's upload and any script send it.
	var hostile map[string]any
	if err := json.Unmarshal([]byte(hostileNotebook), &hostile); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := apiJSON(t, in, "PUT", "api/contents/upload.ipynb", map[string]any{"type": "notebook", "format": "json", "content": hostile}); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	check("upload.ipynb", false)

	// (3) A chunked upload of such a file (a notebook over 1 MiB goes up
	// this way), in three chunks; other cell ids, so that the signature a
	// wrongly signed whole upload left would not cover it.
	raw := []byte(strings.ReplaceAll(hostileNotebook, `"id": "h`, `"id": "c`))
	third := len(raw) / 3
	for i, chunk := range []int{1, 2, -1} {
		end := (i + 1) * third
		if chunk == -1 {
			end = len(raw)
		}
		body := map[string]any{"type": "file", "format": "base64", "chunk": chunk, "content": base64.StdEncoding.EncodeToString(raw[i*third : end])}
		if status, b, _ := apiJSON(t, in, "PUT", "api/contents/chunked.ipynb", body); status != 200 && status != 201 {
			t.Fatalf("PUT chunk %d: %d %s", chunk, status, b)
		}
	}
	check("chunked.ipynb", false)

	// (2) Output the kernel produced through Quire, saved as a client
	// saves it (its data and metadata as received, cells flagged trusted).
	k := startKernel(t, in)
	w := mustDial(t, in, k.ID, wire.NewID(), false)
	r := w.execute("from IPython.display import display, HTML\ndisplay(HTML('<b id=\"mine\">made here</b>'))\n6*7", 60*time.Second)
	var outputs []any
	for _, m := range r.All {
		if m.Channel != "iopub" || (m.Header.MsgType != "display_data" && m.Header.MsgType != "execute_result") {
			continue
		}
		out := map[string]any{"output_type": m.Header.MsgType, "data": m.Content["data"], "metadata": m.Content["metadata"]}
		if m.Header.MsgType == "execute_result" {
			out["execution_count"] = m.Content["execution_count"]
		}
		outputs = append(outputs, out)
	}
	if len(outputs) != 2 {
		t.Fatalf("want a display_data and an execute_result, got %v", r.All)
	}
	mine := map[string]any{
		"cells": []any{map[string]any{"cell_type": "code", "execution_count": 1, "id": "m1", "metadata": map[string]any{"trusted": true},
			"source": "display(HTML(...))", "outputs": outputs}},
		"metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5,
	}
	if status, body, _ := apiJSON(t, in, "PUT", "api/contents/mine.ipynb", map[string]any{"type": "notebook", "format": "json", "content": mine}); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	check("mine.ipynb", true)

	// Help (len?) comes back as an execute_reply "page" payload, which
	// clients show as a display_data with empty metadata.
	r = w.execute("len?", 60*time.Second)
	payload, _ := r.Reply.Content["payload"].([]any)
	var page map[string]any
	for _, p := range payload {
		if p, _ := p.(map[string]any); p["source"] == "page" {
			page, _ = p["data"].(map[string]any)
		}
	}
	if page == nil {
		t.Fatalf("len? gave no page payload: %v", r.Reply)
	}
	help := map[string]any{
		"cells": []any{map[string]any{"cell_type": "code", "execution_count": 2, "id": "p1", "metadata": map[string]any{"trusted": true},
			"source": "len?", "outputs": []any{map[string]any{"output_type": "display_data", "data": page, "metadata": map[string]any{}}}}},
		"metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5,
	}
	if status, body, _ := apiJSON(t, in, "PUT", "api/contents/help.ipynb", map[string]any{"type": "notebook", "format": "json", "content": help}); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	check("help.ipynb", true)

	// The same, with one byte of the HTML changed: not what the kernel made.
	data := outputs[0].(map[string]any)["data"].(map[string]any)
	data["text/html"] = strings.Replace(data["text/html"].(string), "made here", "made there", 1)
	if status, body, _ := apiJSON(t, in, "PUT", "api/contents/altered.ipynb", map[string]any{"type": "notebook", "format": "json", "content": mine}); status != 201 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	check("altered.ipynb", false)
}
