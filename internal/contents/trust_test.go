package contents_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/fsroot"
	"quire/internal/nbformat"
	"quire/internal/trust"
)

// trustRig is a contents service with a real notary and output store over
// a directory; restart gives a new service (empty output store, nothing
// examined) over the same files and signatures, as a server restart does.
type trustRig struct {
	t       *testing.T
	dir     string
	notary  *trust.Notary
	outputs *trust.Outputs
	svc     *contents.Service
}

func newTrustRig(t *testing.T) *trustRig {
	t.Helper()
	n, err := trust.Open(trust.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	r := &trustRig{t: t, dir: t.TempDir(), notary: n}
	r.restart()
	return r
}

func (r *trustRig) restart() {
	root, err := fsroot.Open(r.dir, fsroot.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { root.Close() })
	r.outputs = trust.NewOutputs(0, nil)
	r.svc = contents.New(fsstore.New(root, fsstore.Options{TrashDir: r.t.TempDir()}), r.notary, contents.Options{Outputs: r.outputs}, nil)
}

// put saves nb (a JSON notebook; every code cell is flagged trusted first,
// as a hostile upload would) at p.
func (r *trustRig) put(p, nb string) {
	r.t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(nb), &doc); err != nil {
		r.t.Fatal(err)
	}
	for _, c := range doc["cells"].([]any) {
		if cell := c.(map[string]any); cell["cell_type"] == "code" {
			cell["metadata"] = map[string]any{"trusted": true}
		}
	}
	raw, _ := json.Marshal(doc)
	if _, _, err := r.svc.Save(ctx, p, contents.SaveRequest{Type: "notebook", Content: raw}); err != nil {
		r.t.Fatalf("save %s: %v", p, err)
	}
}

// signed reads p from disk and asks the notary, as Jupyter would.
func (r *trustRig) signed(p string) bool {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, p))
	if err != nil {
		r.t.Fatal(err)
	}
	nb, err := nbformat.Read(b)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.notary.Trusted(nb)
}

// loaded reports the trust a GET shows for p (the first code cell's flag).
func (r *trustRig) loaded(p string) bool {
	r.t.Helper()
	m, err := r.svc.Get(ctx, p, contents.GetOptions{Content: true})
	if err != nil {
		r.t.Fatal(err)
	}
	// As a client sees it: the model's JSON marks each code cell.
	b, err := json.Marshal(m.Content.(*nbformat.Notebook))
	if err != nil {
		r.t.Fatal(err)
	}
	var doc struct {
		Cells []struct {
			CellType string `json:"cell_type"`
			Metadata struct {
				Trusted bool `json:"trusted"`
			} `json:"metadata"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		r.t.Fatal(err)
	}
	for _, c := range doc.Cells {
		if c.CellType == "code" {
			return c.Metadata.Trusted
		}
	}
	r.t.Fatal("no code cell")
	return false
}

// signOnDisk signs the file at p as `jupyter trust` would.
func (r *trustRig) signOnDisk(p string) {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, p))
	if err != nil {
		r.t.Fatal(err)
	}
	nb, err := nbformat.Read(b)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.notary.Sign(nb); err != nil {
		r.t.Fatal(err)
	}
}

// notebookOf is a v4.5 notebook whose code cells hold the given outputs
// (JSON), one cell each; extra is appended to the first cell's source so
// that notebooks with the same outputs differ.
func notebookOf(extra string, outputs ...string) string {
	var cells []string
	cells = append(cells, `{"cell_type":"markdown","id":"md","metadata":{},"source":"# `+extra+`"}`)
	for i, o := range outputs {
		id := string(rune('a' + i))
		cells = append(cells, `{"cell_type":"code","id":"c`+id+`","metadata":{},"execution_count":1,"source":"x","outputs":[`+o+`]}`)
	}
	return `{"cells":[` + strings.Join(cells, ",") + `],"metadata":{},"nbformat":4,"nbformat_minor":5}`
}

const (
	hostileHTML = `{"output_type":"display_data","data":{"text/html":"<script>steal()</script>","text/plain":"x"},"metadata":{}}`
	hostileJS   = `{"output_type":"execute_result","execution_count":1,"data":{"application/javascript":"steal()"},"metadata":{}}`
	plotHTML    = `{"output_type":"display_data","data":{"text/html":"<div id=\"plot\">1</div>","text/plain":"<Figure>"},"metadata":{"isolated":true}}`
	plotKernel  = `{"data":{"text/html":"<div id=\"plot\">1</div>","text/plain":"<Figure>"},"metadata":{"isolated":true},"transient":{}}`
	streamOut   = `{"output_type":"stream","name":"stdout","text":"hi\n"}`
)

// TestSaveSignsOnlyWhatTheServerVouchesFor: a notebook PUT is signed only
// when every rich output in it is one the server knows (its kernels made
// it, or a trusted notebook held it), whatever the cells' trusted flags
// say (issue #14, hole 6).
func TestSaveSignsOnlyWhatTheServerVouchesFor(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup runs first (record kernel output, write and sign files).
		setup func(r *trustRig)
		nb    string
		want  bool
	}{
		{"hostile HTML and JS flagged trusted", nil, notebookOf("h", hostileHTML, hostileJS), false},
		{"no rich output", nil, notebookOf("s", streamOut), true},
		{"kernel display_data", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(plotKernel))
		}, notebookOf("k", plotHTML, streamOut), true},
		{"kernel execute_result saved as in a file (lines split)", func(r *trustRig) {
			r.outputs.RecordOutput("execute_result", []byte(`{"execution_count":3,"data":{"text/html":"<b>a</b>\n<i>b</i>","text/plain":"ab"},"metadata":{"w":1.0}}`))
		}, notebookOf("l", `{"output_type":"execute_result","execution_count":7,"data":{"text/html":["<b>a</b>\n","<i>b</i>"],"text/plain":["ab"]},"metadata":{"w":1}}`), true},
		{"kernel update_display_data shown as the display_data", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(`{"data":{"text/html":"<p>0%</p>"},"metadata":{},"transient":{"display_id":"d"}}`))
			r.outputs.RecordOutput("update_display_data", []byte(`{"data":{"text/html":"<p>100%</p>"},"metadata":{},"transient":{"display_id":"d"}}`))
		}, notebookOf("u", `{"output_type":"display_data","data":{"text/html":"<p>100%</p>"},"metadata":{}}`), true},
		{"kernel page payload", func(r *trustRig) {
			r.outputs.RecordOutput("execute_reply", []byte(`{"status":"ok","execution_count":2,"payload":[{"source":"page","data":{"text/plain":"Docstring"},"start":0}]}`))
		}, notebookOf("p", `{"output_type":"display_data","data":{"text/plain":"Docstring"},"metadata":{}}`), true},
		{"kernel output altered by one byte", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(plotKernel))
		}, notebookOf("a", strings.Replace(plotHTML, "plot", "plos", 1)), false},
		{"kernel output with metadata changed", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(plotKernel))
		}, notebookOf("m", strings.Replace(plotHTML, `"isolated":true`, `"isolated":false`, 1)), false},
		{"kernel output with an extra key", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(plotKernel))
		}, notebookOf("x", strings.Replace(plotHTML, `"metadata"`, `"transient":{},"metadata"`, 1)), false},
		{"mixed: kernel output and a hostile one", func(r *trustRig) {
			r.outputs.RecordOutput("display_data", []byte(plotKernel))
		}, notebookOf("mix", plotHTML, hostileHTML), false},
		{"output of a notebook loaded trusted", func(r *trustRig) {
			os.WriteFile(filepath.Join(r.dir, "other.ipynb"), []byte(notebookOf("other", hostileJS)), 0o644)
			r.signOnDisk("other.ipynb")
			if !r.loaded("other.ipynb") {
				r.t.Fatal("a signed notebook loads untrusted")
			}
		}, notebookOf("pasted", hostileJS, streamOut), true},
		{"output of a notebook loaded untrusted", func(r *trustRig) {
			os.WriteFile(filepath.Join(r.dir, "other.ipynb"), []byte(notebookOf("other", hostileJS)), 0o644)
			r.loaded("other.ipynb")
		}, notebookOf("pasted", hostileJS), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTrustRig(t)
			if tc.setup != nil {
				tc.setup(r)
			}
			r.put("nb.ipynb", tc.nb)
			if got := r.signed("nb.ipynb"); got != tc.want {
				t.Errorf("signed = %v, want %v", got, tc.want)
			}
			if got := r.loaded("nb.ipynb"); got != tc.want {
				t.Errorf("GET trusted = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestResaveKeepsTrust: saving a trusted notebook again, edited, keeps it
// signed, whether this server loaded it first or only finds it on disk
// (after a restart); a hostile notebook saved over it is not signed.
func TestResaveKeepsTrust(t *testing.T) {
	orig := notebookOf("v1", hostileJS, plotHTML)
	edited := notebookOf("v2", hostileJS, plotHTML, streamOut)
	for _, loadFirst := range []bool{true, false} {
		r := newTrustRig(t)
		os.WriteFile(filepath.Join(r.dir, "nb.ipynb"), []byte(orig), 0o644)
		r.signOnDisk("nb.ipynb")
		r.restart()
		if loadFirst && !r.loaded("nb.ipynb") {
			t.Fatal("signed notebook loads untrusted")
		}
		r.put("nb.ipynb", edited)
		if !r.signed("nb.ipynb") {
			t.Errorf("loadFirst=%v: an edited trusted notebook was saved unsigned", loadFirst)
		}
		// Saved again unchanged (the usual autosave): still signed.
		r.restart()
		r.put("nb.ipynb", edited)
		if !r.signed("nb.ipynb") {
			t.Errorf("loadFirst=%v: a re-save after a restart lost the signature", loadFirst)
		}
		// Hostile content saved over the trusted file.
		r.put("nb.ipynb", notebookOf("v3", hostileJS, hostileHTML))
		if r.signed("nb.ipynb") {
			t.Errorf("loadFirst=%v: hostile output saved over a trusted notebook was signed", loadFirst)
		}
	}
}

// TestTrustThenSave: after POST …/trust, the user's later saves of the
// notebook (edited, outputs kept) stay signed.
func TestTrustThenSave(t *testing.T) {
	r := newTrustRig(t)
	r.put("nb.ipynb", notebookOf("v1", hostileJS))
	if r.signed("nb.ipynb") {
		t.Fatal("hostile notebook signed on save")
	}
	if err := r.svc.Trust(ctx, "nb.ipynb"); err != nil {
		t.Fatal(err)
	}
	if !r.signed("nb.ipynb") {
		t.Fatal("Trust did not sign")
	}
	r.put("nb.ipynb", notebookOf("v2", hostileJS))
	if !r.signed("nb.ipynb") {
		t.Error("a save after Trust lost the signature")
	}
}

// TestCopyAndChunksNeverSign: a copy keeps the signature its identical
// content already has, or has none; a chunked upload is never signed.
func TestCopyAndChunksNeverSign(t *testing.T) {
	r := newTrustRig(t)
	good, bad := notebookOf("good", hostileJS), notebookOf("bad", hostileHTML)
	os.WriteFile(filepath.Join(r.dir, "good.ipynb"), []byte(good), 0o644)
	r.signOnDisk("good.ipynb")
	os.WriteFile(filepath.Join(r.dir, "bad.ipynb"), []byte(bad), 0o644)
	for _, c := range []struct {
		from, to string
		want     bool
	}{{"good.ipynb", "good2.ipynb", true}, {"bad.ipynb", "bad2.ipynb", false}} {
		if _, err := r.svc.Copy(ctx, c.from, c.to); err != nil {
			t.Fatal(err)
		}
		if got := r.loaded(c.to); got != c.want {
			t.Errorf("copy of %s: trusted %v, want %v", c.from, got, c.want)
		}
	}
	// A chunked upload of a notebook whose cells say trusted.
	var doc map[string]any
	json.Unmarshal([]byte(notebookOf("chunked", hostileJS)), &doc)
	doc["cells"].([]any)[1].(map[string]any)["metadata"] = map[string]any{"trusted": true}
	b, _ := json.Marshal(doc)
	for i, n := 0, 1; i < len(b); i, n = i+100, n+1 {
		end, num := min(i+100, len(b)), n
		if end == len(b) {
			num = -1
		}
		if _, _, err := r.svc.Save(ctx, "up.ipynb", chunkReq(num, b[i:end])); err != nil {
			t.Fatal(err)
		}
	}
	if r.signed("up.ipynb") || r.loaded("up.ipynb") {
		t.Error("a chunked upload was signed")
	}
}

// TestLearnOnDiskBounded: the version on disk is read before a save only
// when it is not much larger than the new content (so the save never
// needs more memory than that content costs anyway); a GET still
// vouches for its outputs.
func TestLearnOnDiskBounded(t *testing.T) {
	big := `{"output_type":"stream","name":"stdout","text":"` + strings.Repeat("x", 2<<20) + `"}`
	for _, loadFirst := range []bool{false, true} {
		r := newTrustRig(t)
		os.WriteFile(filepath.Join(r.dir, "nb.ipynb"), []byte(notebookOf("v1", hostileJS, big)), 0o644)
		r.signOnDisk("nb.ipynb")
		r.restart()
		if loadFirst {
			r.loaded("nb.ipynb")
		}
		r.put("nb.ipynb", notebookOf("v2", hostileJS)) // the big output cleared
		if got := r.signed("nb.ipynb"); got != loadFirst {
			t.Errorf("loadFirst=%v: signed = %v", loadFirst, got)
		}
	}
}
