package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// contentsScenario measures /api/contents: saving and loading a large
// notebook, listing a large directory, creating and deleting small files,
// and the server's peak memory over all of it.
func contentsScenario(cfg config) scenario {
	size := strconv.FormatFloat(float64(cfg.nbBytes)/1e6, 'g', 3, 64) + " MB"
	mPut := metric{name: size + " notebook PUT", unit: millis, p90: true, goal: 0.2}
	mGet := metric{name: size + " notebook GET (content=1)", unit: millis, p90: true, goal: 0.2}
	mGet0 := metric{name: size + " notebook GET (content=0)", unit: millis, p90: true}
	// The benchmark issue asks ≤ 1/10 for the listing, the foundation issue
	// ≤ 1/5; the table shows the stricter.
	mList := metric{name: fmt.Sprintf("list %d files (content=1)", cfg.listFiles), unit: millis, p90: true, goal: 0.1}
	mCreate := metric{name: "create small file (PUT)", unit: millis, p90: true}
	mDelete := metric{name: "delete small file", unit: millis, p90: true}
	mPeak := metric{name: "peak RSS during contents (VmHWM)", unit: mebis}
	return scenario{
		name: "contents",
		about: fmt.Sprintf("one server start; %d PUTs of the notebook, then %d GETs with content=1 (read into one reused client buffer) and %d with content=0; "+
			"%d listings of a directory of %d small files made on disk before the start; "+
			"%d small text files created by PUT, then each DELETEd (checked gone from disk); VmHWM at the end",
			cfg.nbRuns, cfg.nbRuns, cfg.nbRuns, cfg.listRuns, cfg.listFiles, cfg.smallFiles),
		metrics: []metric{mPut, mGet, mGet0, mList, mCreate, mDelete, mPeak},
		rounds:  cfg.contentsRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			nb, err := e.notebook()
			if err != nil {
				return nil, err
			}
			root, err := contentsRoot(e.tmp, e.cfg.listFiles)
			if err != nil {
				return nil, err
			}
			srv, err := startServer(ctx, e, sp, root)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			s := make(samples)
			if err := contentsRuns(ctx, e, srv.client, nb, root, func(name string, v float64) { s.add(name, v) }, contentsNames{
				put: mPut.name, get: mGet.name, get0: mGet0.name, list: mList.name, create: mCreate.name, del: mDelete.name,
			}); err != nil {
				return s, err
			}
			peak, err := srv.hwmMiB()
			if err != nil {
				return s, fmt.Errorf("peak RSS: %w", err)
			}
			s.add(mPeak.name, peak)
			return s, srv.stop()
		},
	}
}

// contentsNames are the metric names contentsRuns reports under.
type contentsNames struct{ put, get, get0, list, create, del string }

// contentsRuns runs the contents workload against a server over root
// (list/ with cfg.listFiles files, an empty small/): the notebook's PUTs
// and GETs, the listings, the small files' creates and deletes.
func contentsRuns(ctx context.Context, e *env, c *client, nb *notebook, root string, add func(name string, v float64), n contentsNames) error {

	body := append(append([]byte(`{"type":"notebook","content":`), nb.json...), '}')
	const nbPath = "/api/contents/big.ipynb"
	for i := range e.cfg.nbRuns {
		r, err := c.expect(ctx, http.MethodPut, nbPath, body, largeTimeout, http.StatusCreated, http.StatusOK)
		if err != nil {
			return fmt.Errorf("notebook PUT %d: %w", i+1, err)
		}
		add(n.put, ms(r.took))
	}
	for i := range e.cfg.nbRuns {
		r, err := c.expectScratch(ctx, http.MethodGet, nbPath+"?content=1", nil, largeTimeout, http.StatusOK)
		if err != nil {
			return fmt.Errorf("notebook GET %d: %w", i+1, err)
		}
		add(n.get, ms(r.took))
		if i == 0 {
			if err := checkNotebook(r.body, nb); err != nil {
				return fmt.Errorf("notebook GET: %w", err)
			}
		}
	}
	for i := range e.cfg.nbRuns {
		r, err := c.expect(ctx, http.MethodGet, nbPath+"?content=0", nil, smallTimeout, http.StatusOK)
		if err != nil {
			return fmt.Errorf("notebook GET content=0 %d: %w", i+1, err)
		}
		add(n.get0, ms(r.took))
		if i == 0 {
			if err := checkNoContent(r.body); err != nil {
				return fmt.Errorf("notebook GET content=0: %w", err)
			}
		}
	}

	for i := range e.cfg.listRuns {
		r, err := c.expect(ctx, http.MethodGet, "/api/contents/list?content=1", nil, largeTimeout, http.StatusOK)
		if err != nil {
			return fmt.Errorf("listing %d: %w", i+1, err)
		}
		add(n.list, ms(r.took))
		if i == 0 {
			if err := checkListing(r.body, e.cfg.listFiles); err != nil {
				return fmt.Errorf("listing: %w", err)
			}
		}
	}

	if _, err := c.expect(ctx, http.MethodPut, "/api/contents/small", []byte(`{"type":"directory"}`), smallTimeout, http.StatusCreated); err != nil {
		return fmt.Errorf("mkdir small: %w", err)
	}
	for i := range e.cfg.smallFiles {
		b, _ := json.Marshal(map[string]string{"type": "file", "format": "text", "content": fmt.Sprintf("small file %d\n", i)})
		r, err := c.expect(ctx, http.MethodPut, smallPath(i), b, smallTimeout, http.StatusCreated, http.StatusOK)
		if err != nil {
			return fmt.Errorf("create %d: %w", i+1, err)
		}
		add(n.create, ms(r.took))
	}
	for i := range e.cfg.smallFiles {
		r, err := c.expect(ctx, http.MethodDelete, smallPath(i), nil, smallTimeout, http.StatusNoContent)
		if err != nil {
			return fmt.Errorf("delete %d: %w", i+1, err)
		}
		add(n.del, ms(r.took))
	}
	if left, err := visibleEntries(filepath.Join(root, "small")); err != nil || len(left) > 0 {
		return fmt.Errorf("after DELETE, small/ still holds %q (%v)", left, err)
	}
	return nil
}

func smallPath(i int) string { return fmt.Sprintf("/api/contents/small/s-%04d.txt", i) }

// contentsRoot makes a root with list/ holding n small files.
func contentsRoot(tmp string, n int) (string, error) {
	root, err := os.MkdirTemp(tmp, "contents-root-")
	if err != nil {
		return "", err
	}
	return root, fillContentsRoot(root, n)
}

// fillContentsRoot makes list/ with n small files in root (small/ is
// made through the API by contentsRuns: an S3 store sees only the
// directories it made).
func fillContentsRoot(root string, n int) error {
	if err := os.Mkdir(filepath.Join(root, "list"), 0o755); err != nil {
		return err
	}
	for i := range n {
		name := filepath.Join(root, "list", fmt.Sprintf("file-%05d.txt", i))
		if err := os.WriteFile(name, fmt.Appendf(nil, "file %d\n", i), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// visibleEntries lists dir without dot-entries (such as an empty
// .ipynb_checkpoints, which jupyter_server leaves behind).
func visibleEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// notebook generates the workload notebook once per harness run.
func (e *env) notebook() (*notebook, error) {
	if e.nb == nil {
		nb, err := makeNotebook(e.cfg.nbBytes)
		if err != nil {
			return nil, fmt.Errorf("generate notebook: %w", err)
		}
		e.nb = nb
	}
	return e.nb, nil
}

// checkNotebook checks that a GET returned the notebook that was saved.
func checkNotebook(body []byte, nb *notebook) error {
	var m struct {
		Type    string `json:"type"`
		Format  string `json:"format"`
		Content struct {
			Cells    []json.RawMessage `json:"cells"`
			NBFormat int               `json:"nbformat"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if m.Type != "notebook" || m.Format != "json" || m.Content.NBFormat != 4 || len(m.Content.Cells) != nb.cells {
		return fmt.Errorf("got type %q format %q nbformat %d with %d cells, want a json notebook (4) with %d cells",
			m.Type, m.Format, m.Content.NBFormat, len(m.Content.Cells), nb.cells)
	}
	return nil
}

// checkNoContent checks that a content=0 GET sent the model without content.
func checkNoContent(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if c, ok := m["content"]; ok && string(c) != "null" {
		return fmt.Errorf("content is %d bytes, want null", len(c))
	}
	return nil
}

// checkListing checks that a directory GET listed every file.
func checkListing(body []byte, n int) error {
	var m struct {
		Type    string `json:"type"`
		Content []struct {
			Name string `json:"name"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if m.Type != "directory" || len(m.Content) != n {
		return fmt.Errorf("got type %q with %d entries, want a directory with %d", m.Type, len(m.Content), n)
	}
	return nil
}
