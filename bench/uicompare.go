package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// compareScript is the browser half of ui-compare, relative to the
// repository root; it needs tests/e2e's node_modules.
const compareScript = "tests/e2e/bench-compare.mjs"

// nb6Name is the name Notebook 6.4 goes by in rows and logs.
const nb6Name = "Notebook 6.4"

// notebook6Spec starts Debian's Notebook 6.4 (python3-notebook) like
// jupyterSpec starts jupyter_server: loopback, the launch's token and port,
// no browser, no port retries, no config but its own empty dirs.
func notebook6Spec(python string) spec {
	return spec{name: nb6Name, command: func(l launch) ([]string, []string) {
		argv := []string{python, "-m", "notebook",
			"--no-browser",
			"--allow-root",
			"--ip=127.0.0.1",
			"--port=" + strconv.Itoa(l.port),
			"--port-retries=0",
			"--NotebookApp.token=" + l.token,
			"--notebook-dir=" + l.root,
		}
		return argv, append(privateDirs(l.home), "JUPYTER_NO_CONFIG=1")
	}}
}

// compareMark is one timed moment of a page load, in ms from navigation
// start (nil: never reached).
type compareMark struct {
	First *float64 `json:"first"`
	Text  *float64 `json:"text"`
	All   *float64 `json:"all"`
}

// compareJS is the JavaScript a cold page had loaded by one of its marks.
type compareJS struct {
	Files   int      `json:"files"`
	Encoded float64  `json:"encoded"` // body bytes as sent (gzip when the server compresses)
	Decoded float64  `json:"decoded"`
	Names   []string `json:"names"`
}

// compareRun is one fresh browser context: a cold load, then a warm one.
type compareRun struct {
	Cold   compareMark `json:"cold"`
	Warm   compareMark `json:"warm"`
	JS     compareJS   `json:"js"`
	JSText compareJS   `json:"jsText"`
	Errors []string    `json:"errors"`
}

// compareResult is what compareScript prints.
type compareResult struct {
	Runs      int                                   `json:"runs"`
	Chromium  string                                `json:"chromium"`
	Notebooks map[string]struct{ Cells, Bytes int } `json:"notebooks"`
	// Results: server name → notebook key → runs.
	Results map[string]map[string][]compareRun `json:"results"`
}

// compareBook is one notebook ui-compare opens: its key in the script's
// output and how rows name it.
type compareBook struct{ key, label string }

// uiCompareScenario opens the same notebooks in Quire's notebook page and in
// Notebook 6.4's, in one browser, alternating the servers run by run.
// Notebook 6.4 has no column of its own in the table (the second column is
// jupyter_server's), so the rows are Quire ÷ Notebook 6.4 and the medians
// of both go to the header's observations and the log.
func uiCompareScenario(cfg config) scenario {
	runs, warmup, bigCells := 5, 1, 300
	books := []compareBook{{"small", "~25 KB notebook"}, {"big", fmt.Sprintf("%d-cell notebook", bigCells)}}
	if cfg.quick {
		runs, warmup, books = 1, 0, books[:1]
	}
	type row struct {
		book compareBook
		warm bool
		mark compareMarkKind
	}
	var rows []row
	var metrics []metric
	for _, b := range books {
		for _, warm := range []bool{false, true} {
			for _, mk := range []compareMarkKind{markFirst, markText, markAll} {
				m := metric{name: compareRowName(b.label, warm, mk), unit: factor, own: true}
				switch {
				case mk == markFirst:
					m.goal = 1.0 / 3
				case mk == markAll && b.key == "big":
					m.goal = 1.0 / 5
				}
				rows = append(rows, row{b, warm, mk})
				metrics = append(metrics, m)
			}
		}
	}
	jsFirst := metric{name: "notebook page: JavaScript loaded before the first cell is visible (cold, gzip as served)", unit: kbytes, goal: 150, own: true}
	jsText := metric{name: "notebook page: JavaScript loaded before the first cell's text shows (cold, gzip as served; Quire's preview counts)", unit: kbytes}
	metrics = append(metrics, jsFirst, jsText)
	nbArg := "small"
	if !cfg.quick {
		nbArg = "small,big"
	}
	return scenario{
		name: "ui-compare",
		about: fmt.Sprintf("Quire's notebook page beside Debian's Notebook 6.4 (python3-notebook, `%s -m notebook`, started by the harness "+
			"like jupyter_server, on loopback with its own token and empty dirs; it starts a kernel when a notebook opens, as it always does; so does Quire) "+
			"in the same run: `node %s` (playwright-core, headless chromium, 1280×800) opens the same notebooks from both, %d run(s) after %d uncounted warm-up run(s) per server (the ~25 KB notebook: "+
			"a server's first load pays for its own caches), alternating which server goes first: a ~25 KB notebook (30 cells: headings and prose, code with short results and streams, an HTML table, a small PNG)%s. "+
			"Each run and server gets a fresh browser context, logged in by a request with ?token= (sets the cookie, loads none of the page's files); "+
			"cold = its first navigation to the notebook (empty cache), warm = the next one in the same context. "+
			"First cell visible = navigation start until the first cell is in the page with its source text and in the viewport "+
			"(Quire: the first [data-testid=\"cell\"], not its plain-text preview; Notebook 6.4: the first .cell of #notebook-container, rendered markdown or CodeMirror); "+
			"first cell's text visible = the same, but any element showing the first cell's text counts (Quire's plain-text preview, shown while its editor code loads; for Notebook 6.4 the same as first cell visible); "+
			"all cells rendered = until every cell is in the page in order with its source text (probes from each cell's source), "+
			"then, the page scrolled to the last cell (Quire renders outputs only near the view), its output is in the DOM and in view, and a frame has been painted. "+
			"All checked in the page every animation frame, the same definitions for both. Rows are Quire ÷ Notebook 6.4 of the medians (goals: first cell visible ≤ 1/3, "+
			"the 300-cell notebook's cells all rendered ≤ 1/5); both medians are listed under observed. JavaScript = the .js responses the cold Quire page had "+
			"finished (resource timing, encodedBodySize: body bytes as served, Quire gzips) by the mark, in KB of 1000 bytes",
			cfg.python, compareScript, runs, warmup, map[bool]string{true: " (quick: only that one)", false: fmt.Sprintf(" and a %d-cell notebook shaped like ui-notebook's", bigCells)}[cfg.quick]),
		metrics: metrics,
		rounds:  1,
		solo:    true,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			node, chromium, ok := browserTools(e, "ui-compare", compareScript)
			if !ok {
				return nil, nil
			}
			ver, err := exec.CommandContext(ctx, cfg.python, "-c", "import notebook; print(notebook.__version__)").Output()
			if err != nil {
				fmt.Fprintf(e.log, "bench: ui-compare skipped: Notebook 6.4 is not installed for %s (apt-get install python3-notebook, or make deps-apt)\n", cfg.python)
				return nil, nil
			}
			e.observe(fmt.Sprintf("ui-compare: Notebook %s (`%s -m notebook`)", strings.TrimSpace(string(ver)), cfg.python))

			type target struct {
				Name  string `json:"name"`
				Kind  string `json:"kind"`
				URL   string `json:"url"`
				Token string `json:"token"`
				Root  string `json:"root"`
			}
			var targets []target
			for _, s := range []struct {
				sp   spec
				kind string
			}{{sp, "quire"}, {notebook6Spec(cfg.python), "notebook6"}} {
				root, err := os.MkdirTemp(e.tmp, "compare-root-")
				if err != nil {
					return nil, err
				}
				srv, err := startServer(ctx, e, s.sp, root)
				if err != nil {
					return nil, err
				}
				defer srv.stop()
				targets = append(targets, target{s.sp.name, s.kind, srv.url, srv.token, root})
			}
			arg, err := json.Marshal(targets)
			if err != nil {
				return nil, err
			}
			cmd := exec.CommandContext(ctx, node, compareScript, "--servers", string(arg),
				"--runs", strconv.Itoa(runs), "--warmup", strconv.Itoa(warmup), "--notebooks", nbArg, "--cells", strconv.Itoa(bigCells))
			cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
			cmd.Stderr = e.log
			var out bytes.Buffer
			cmd.Stdout = &out
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("%s: %w", compareScript, err)
			}
			var r compareResult
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("%s printed no JSON: %w: %q", compareScript, err, out.String())
			}
			e.observe("ui-compare browser: " + r.Chromium + " (headless)")
			for _, b := range books {
				if nb, ok := r.Notebooks[b.key]; ok {
					e.observe(fmt.Sprintf("ui-compare: the %s has %d cells, %d bytes as written", b.label, nb.Cells, nb.Bytes))
				}
			}
			quire, nb6 := r.Results[sp.name], r.Results[nb6Name]
			s := make(samples)
			var table strings.Builder
			table.WriteString("| notebook | load | mark | Quire | Notebook 6.4 | Quire ÷ Notebook 6.4 | goal | met? |\n|---|---|---|---|---|---|---|---|\n")
			for i, rw := range rows {
				q, n := markMedian(quire[rw.book.key], rw.warm, rw.mark), markMedian(nb6[rw.book.key], rw.warm, rw.mark)
				m := metrics[i]
				ratio, goal, met := "–", "–", "–"
				if m.goal > 0 {
					goal = "≤ " + num(m.goal)
				}
				if !math.IsNaN(q) && !math.IsNaN(n) && n > 0 {
					s.add(m.name, q/n)
					ratio = num(q / n)
					if m.goal > 0 {
						met = yesNo(m.met(q / n))
					}
				}
				load, mark := map[bool]string{false: "cold", true: "warm"}[rw.warm], rw.mark.String()
				fmt.Fprintf(&table, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", rw.book.label, load, mark, msText(q), msText(n), ratio, goal, met)
				e.observe(fmt.Sprintf("ui-compare: %s, %s, navigation → %s: Quire %s, Notebook 6.4 %s (medians of %d)", rw.book.label, load, mark, msText(q), msText(n), r.Runs))
			}
			for _, b := range books {
				for _, run := range quire[b.key] {
					s.add(jsFirst.name, run.JS.Encoded/1000)
					s.add(jsText.name, run.JSText.Encoded/1000)
				}
				if runs := nb6[b.key]; len(runs) > 0 {
					js := runs[0].JS
					e.observe(fmt.Sprintf("ui-compare: Notebook 6.4's cold page had loaded %d .js files, %.0f KB as served (%.0f KB decoded), by its first cell (%s)", js.Files, js.Encoded/1000, js.Decoded/1000, b.label))
				}
				if runs := quire[b.key]; len(runs) > 0 {
					js := runs[0].JS
					e.observe(fmt.Sprintf("ui-compare: Quire's cold page had loaded %d .js files, %.0f KB as served (%.0f KB decoded), by its first cell (%s): %s", js.Files, js.Encoded/1000, js.Decoded/1000, b.label, strings.Join(js.Names, ", ")))
				}
				for name, byBook := range r.Results {
					for _, run := range byBook[b.key] {
						for _, msg := range run.Errors {
							first, _, _ := strings.Cut(msg, "\n")
							e.observe(fmt.Sprintf("ui-compare: %s page error (%s): %s", name, b.label, first))
						}
					}
				}
			}
			fmt.Fprintf(e.log, "bench: ui-compare, medians of %d run(s):\n%s", r.Runs, table.String())
			return s, nil
		},
	}
}

// compareMarkKind is which mark of a page load a row compares.
type compareMarkKind int

const (
	markFirst compareMarkKind = iota // the first cell visible
	markText                         // the first cell's text visible, in any form
	markAll                          // every cell rendered, the last one's output painted
)

func (k compareMarkKind) String() string {
	return [...]string{"first cell visible", "first cell's text visible (Quire's preview counts)", "all cells rendered"}[k]
}

// compareRowName names a ratio row of ui-compare.
func compareRowName(book string, warm bool, mk compareMarkKind) string {
	load := "cold"
	if warm {
		load = "warm"
	}
	return fmt.Sprintf("notebook page, %s, %s: navigation → %s, Quire ÷ Notebook 6.4", book, load, mk)
}

// markMedian is the median of one mark over runs (NaN when no run reached it).
func markMedian(runs []compareRun, warm bool, mk compareMarkKind) float64 {
	var vs []float64
	for _, r := range runs {
		m := r.Cold
		if warm {
			m = r.Warm
		}
		if v := [...]*float64{m.First, m.Text, m.All}[mk]; v != nil {
			vs = append(vs, *v)
		}
	}
	return median(vs)
}

// msText shows a median in ms, or "none" when it was never reached.
func msText(v float64) string {
	if math.IsNaN(v) {
		return "none"
	}
	return num(v) + " ms"
}
