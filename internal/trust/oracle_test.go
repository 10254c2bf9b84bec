package trust_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"quire/internal/nbformat"
	"quire/internal/trust"
)

const python = "/usr/bin/python3"

// oracle is one Python process answering with nbformat's NotebookNotary
// (testdata/oracle.py).
type oracle struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Reader
}

type reply struct {
	Sig      string `json:"sig"`
	Trusted  bool   `json:"trusted"`
	OK       bool   `json:"ok"`
	Locked   bool   `json:"locked"`
	Released bool   `json:"released"`
	Error    string `json:"error"`
}

func startOracle(t *testing.T) *oracle {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Python's nbformat; skipped under -short")
	}
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	if err := exec.Command(python, "-c", "import nbformat.sign").Run(); err != nil {
		t.Skip("Python's nbformat is not installed")
	}
	cmd := exec.Command(python, "testdata/oracle.py")
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+t.TempDir(), "PYTHONWARNINGS=ignore")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard // nbformat logs validation warnings
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
	})
	return &oracle{t: t, in: in, out: bufio.NewReaderSize(out, 1<<20)}
}

func (o *oracle) send(req map[string]any) {
	o.t.Helper()
	b, _ := json.Marshal(req)
	if _, err := o.in.Write(append(b, '\n')); err != nil {
		o.t.Fatal(err)
	}
}

func (o *oracle) recv() reply {
	o.t.Helper()
	line, err := o.out.ReadBytes('\n')
	if err != nil {
		o.t.Fatalf("oracle: %v", err)
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		o.t.Fatalf("oracle reply %q: %v", line, err)
	}
	return r
}

func (o *oracle) call(req map[string]any) reply {
	o.t.Helper()
	o.send(req)
	return o.recv()
}

// Quire's Signature equals nbformat's compute_signature on a random corpus.
func TestSignatureMatchesNbformat(t *testing.T) {
	o := startOracle(t)
	const secret = "corpus secret\nwith a newline and bytes \xff\x00"
	n := openWithSecret(t, secret, trust.Options{})
	g := gen{rand.New(rand.NewPCG(1, 2))}
	const count = 300
	fixed := []string{
		bigNotebook(2 << 20),
		// Cells whose outputs a streamed notebook decodes one at a time.
		g.manyOutputs(1500),
		// No v3 notebook: nbformat upgrades it to 4.5 with random cell ids
		// on every read, so its signature differs from read to read.
	}
	for i := range count + len(fixed) {
		var text string
		if i < len(fixed) {
			text = fixed[i]
		} else {
			text = g.notebook()
		}
		nb, err := nbformat.Read([]byte(text))
		if err != nil {
			t.Fatalf("notebook %d: Read: %v\n%s", i, err, text)
		}
		got, err := n.Signature(nb)
		if err != nil {
			t.Fatalf("notebook %d: Signature: %v", i, err)
		}
		r := o.call(map[string]any{"op": "sig", "secret": base64.StdEncoding.EncodeToString([]byte(secret)), "nb": text})
		if r.Error != "" {
			t.Fatalf("notebook %d: nbformat: %s", i, r.Error)
		}
		if got != r.Sig {
			t.Fatalf("notebook %d: Quire %s, nbformat %s\n%.2000s", i, got, r.Sig, text)
		}
		// The same notebook read cell by cell signs the same.
		snb, err := nbformat.ReadStreaming([]byte(text))
		if err != nil {
			t.Fatalf("notebook %d: ReadStreaming: %v", i, err)
		}
		if sgot, err := n.Signature(snb); err != nil || sgot != r.Sig {
			t.Fatalf("notebook %d: streamed: Quire %s (%v), nbformat %s", i, sgot, err, r.Sig)
		}
	}
}

func writeNotebook(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) *nbformat.Notebook {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return mustRead(t, string(data))
}

// Jupyter signs, Quire trusts; Quire signs, Jupyter trusts; verdicts agree
// on notebooks nobody signed; an edited file is untrusted.
func TestInteroperability(t *testing.T) {
	o := startOracle(t)
	dataDir := t.TempDir()
	nbDir := t.TempDir()
	// nbformat creates the secret here, so Quire must reuse its file.
	g := gen{rand.New(rand.NewPCG(3, 4))}
	texts := make([]string, 12)
	for i := range texts {
		texts[i] = g.notebook()
	}
	for i := 0; i < len(texts); i += 3 {
		if r := o.call(map[string]any{"op": "sign", "dir": dataDir, "nb": texts[i]}); r.Error != "" || !r.OK {
			t.Fatalf("nbformat sign: %+v", r)
		}
	}
	n, err := trust.Open(trust.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for i := 1; i < len(texts); i += 3 {
		if err := n.Sign(mustRead(t, texts[i])); err != nil {
			t.Fatal(err)
		}
	}
	for i, text := range texts {
		want := i%3 != 2
		if got := n.Trusted(mustRead(t, text)); got != want {
			t.Errorf("notebook %d: Quire trusted = %v, want %v", i, got, want)
		}
		if r := o.call(map[string]any{"op": "check", "dir": dataDir, "nb": text}); r.Error != "" || r.Trusted != want {
			t.Errorf("notebook %d: nbformat trusted = %v (%s), want %v", i, r.Trusted, r.Error, want)
		}
	}

	// A file signed by Jupyter, then edited on disk.
	text := `{"cells":[{"cell_type":"code","execution_count":1,"id":"x","metadata":{},"outputs":[{"output_type":"display_data","data":{"text/html":["<b>hi</b>\n","<script>1</script>"]},"metadata":{}}],"source":["print(1)\n","x = 2.50"]}],"metadata":{},"nbformat":4,"nbformat_minor":5}`
	p := writeNotebook(t, nbDir, "a.ipynb", text)
	if r := o.call(map[string]any{"op": "sign", "dir": dataDir, "nb": text}); r.Error != "" {
		t.Fatal(r.Error)
	}
	if !n.Trusted(readFile(t, p)) {
		t.Error("file signed by nbformat not trusted by Quire")
	}
	writeNotebook(t, nbDir, "a.ipynb", strings.Replace(text, "<b>hi</b>", "<b>hI</b>", 1))
	if n.Trusted(readFile(t, p)) {
		t.Error("edited file still trusted")
	}
	// Re-split lines and respelled numbers are the same notebook to both.
	writeNotebook(t, nbDir, "a.ipynb", strings.Replace(strings.Replace(text, `"<b>hi</b>\n","<script>1</script>"`, `"<b>hi</b>\n<script>1</script>"`, 1), `"execution_count":1,"id"`, `"execution_count":1,"id"`, 1))
	if !n.Trusted(readFile(t, p)) {
		t.Error("joined multiline string changed the verdict")
	}
}

// While Python holds the database's write lock, Quire's Sign waits for it
// instead of failing.
func TestWaitsForJupyterLock(t *testing.T) {
	o := startOracle(t)
	n := openWithSecret(t, "k", trust.Options{BusyTimeout: 10 * time.Second})
	nb := mustRead(t, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	o.send(map[string]any{"op": "lock", "db": n.DatabasePath(), "seconds": 1.0})
	if r := o.recv(); !r.Locked {
		t.Fatalf("lock: %+v", r)
	}
	start := time.Now()
	if err := n.Sign(nb); err != nil {
		t.Fatalf("Sign while Python held the lock: %v", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("Sign returned after %v; the lock was held for 1 s", d)
	}
	if r := o.recv(); !r.Released {
		t.Fatalf("release: %+v", r)
	}
	if !n.Trusted(nb) {
		t.Error("not trusted after waiting")
	}
}
