//go:build integration

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return sha(b)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// answeredError is a request the server answered with an error status
// (as opposed to one cut short by a kill).
type answeredError struct{ msg string }

func (e *answeredError) Error() string { return e.msg }

// killState is what the saver knows was acknowledged and what was in
// flight when the server died. Only the saver goroutine writes it while
// it runs; the test reads it after the saver stopped.
type killState struct {
	nb, nbInflight     int    // notebook variant acknowledged / sent (-1: none)
	blob, blobInflight int    // upload variant completed / whose last chunk was sent
	cp, cpInflight     string // checkpoint hash acknowledged / being made ("" none)
	saves              int    // saves attempted (notebook saves and uploads)
}

// TestKill9DuringSaves kills the server with SIGKILL at random moments
// while a client saves a notebook (small and large versions), uploads a
// file in chunks and makes checkpoints, QUIRE_TEST_KILL9_SAVES (1000)
// saves in all. After each restart on the same root and data dirs the
// notebook, the upload and the checkpoint are each exactly the version
// last acknowledged or the one in flight (sha256), the notebook parses,
// listings show no temp or partial file, and the next saves remove every
// leftover from the raw directories.
func TestKill9DuringSaves(t *testing.T) {
	total := envInt(t, "QUIRE_TEST_KILL9_SAVES", 1000)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (QUIRE_TEST_KILL9_SAVES=%d)", seed, total)
	rng := rand.New(rand.NewPCG(seed, 1))
	root, home := t.TempDir(), t.TempDir()
	nbFile := filepath.Join(root, "nb.ipynb")
	blobFile := filepath.Join(root, "blob.bin")
	cpDir := filepath.Join(root, ".ipynb_checkpoints")
	cpFile := filepath.Join(cpDir, "nb-checkpoint.ipynb")

	// Notebook versions: four small ones and a large one (about 4 MB of
	// JSON, so a kill often lands while its body is still arriving).
	var nbBodies [][]byte
	for i := range 5 {
		cells := 20
		if i == 4 {
			cells = 1600
		}
		b, _ := json.Marshal(map[string]any{"type": "notebook", "content": notebookWith(fmt.Sprintf("version-%d", i), cells)})
		nbBodies = append(nbBodies, b)
	}
	const large = 4
	var blobs [][]byte
	for i := range 3 {
		blobs = append(blobs, bytes.Repeat([]byte{byte('a' + i)}, 300_000+i*1000))
	}

	// One client for the whole test: a killed server breaks its
	// connections, and the next request dials afresh.
	client := &http.Client{Timeout: 60 * time.Second}
	do := func(in *instance, method, path string, body []byte) (int, error) {
		r, err := http.NewRequest(method, in.URL+path, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		r.Header.Set("Authorization", "token "+in.Token)
		resp, err := client.Do(r)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, err = buf.ReadFrom(resp.Body)
		if resp.StatusCode >= 300 {
			return resp.StatusCode, &answeredError{fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, buf.Bytes())}
		}
		return resp.StatusCode, err
	}
	chunkBody := func(data []byte, n int) []byte {
		b, _ := json.Marshal(map[string]any{"type": "file", "format": "base64", "chunk": n, "content": base64.StdEncoding.EncodeToString(data)})
		return b
	}
	// upload sends blob v in three chunks; inflight is called before the last.
	upload := func(in *instance, v int, lastSent func()) error {
		d := blobs[v]
		parts := [][]byte{d[:100_000], d[100_000:200_000], d[200_000:]}
		for i, n := range []int{1, 2, -1} {
			if n == -1 && lastSent != nil {
				lastSent()
			}
			if _, err := do(in, "PUT", "api/contents/blob.bin", chunkBody(parts[i], n)); err != nil {
				return err
			}
		}
		return nil
	}

	// First server: learn the hash of each notebook version as Quire
	// writes it (deterministic: same content, same secret), and make the
	// checkpoint.
	in := startQuire(t, opts{root: root, home: home})
	nbHash := make([]string, len(nbBodies))
	for i, b := range nbBodies {
		if _, err := do(in, "PUT", "api/contents/nb.ipynb", b); err != nil {
			t.Fatal(err)
		}
		nbHash[i] = fileSHA(t, nbFile)
	}
	if _, err := do(in, "POST", "api/contents/nb.ipynb/checkpoints", nil); err != nil {
		t.Fatal(err)
	}
	if err := upload(in, 0, nil); err != nil {
		t.Fatal(err)
	}
	st := killState{nb: len(nbBodies) - 1, nbInflight: -1, blob: 0, blobInflight: -1, cp: nbHash[len(nbBodies)-1]}
	if got := fileSHA(t, cpFile); got != st.cp {
		t.Fatal("the checkpoint is not the notebook it was made from")
	}

	check := func(round int) {
		t.Helper()
		allowed := func(have string, want ...string) bool { return slices.Contains(want, have) }
		nbWant := []string{nbHash[st.nb]}
		if st.nbInflight >= 0 {
			nbWant = append(nbWant, nbHash[st.nbInflight])
		}
		raw, err := os.ReadFile(nbFile)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !allowed(sha(raw), nbWant...) {
			t.Fatalf("round %d: the notebook (%d bytes) is neither the acknowledged version %d nor the one in flight (%d)", round, len(raw), st.nb, st.nbInflight)
		}
		var nb struct {
			Cells    []json.RawMessage `json:"cells"`
			NBFormat int               `json:"nbformat"`
		}
		if err := json.Unmarshal(raw, &nb); err != nil || nb.NBFormat != 4 || len(nb.Cells) == 0 {
			t.Fatalf("round %d: the notebook does not parse: %v", round, err)
		}
		blobWant := []string{sha(blobs[st.blob])}
		if st.blobInflight >= 0 {
			blobWant = append(blobWant, sha(blobs[st.blobInflight]))
		}
		if got := fileSHA(t, blobFile); !allowed(got, blobWant...) {
			t.Fatalf("round %d: the uploaded file is neither upload %d nor the one finishing (%d)", round, st.blob, st.blobInflight)
		}
		cpWant := []string{st.cp}
		if st.cpInflight != "" {
			cpWant = append(cpWant, st.cpInflight)
		}
		if got := fileSHA(t, cpFile); !allowed(got, cpWant...) {
			t.Fatalf("round %d: the checkpoint is neither the acknowledged one nor the one being made", round)
		}
		// The API sees exactly the two files: no temp, no partial upload.
		status, body, _ := in.do(in.req("GET", "api/contents", nil))
		var dir struct {
			Content []struct{ Name string } `json:"content"`
		}
		if status != 200 || json.Unmarshal(body, &dir) != nil {
			t.Fatalf("round %d: listing: %d %s", round, status, body)
		}
		var names []string
		for _, e := range dir.Content {
			names = append(names, e.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"blob.bin", "nb.ipynb"}) {
			t.Fatalf("round %d: listing after a kill shows %v", round, names)
		}
		if status, b, _ := in.do(in.req("GET", "api/contents/nb.ipynb", nil)); status != 200 {
			t.Fatalf("round %d: GET the notebook: %d %s", round, status, b)
		}
		status, body, _ = in.do(in.req("GET", "api/contents/nb.ipynb/checkpoints", nil))
		if status != 200 || !strings.Contains(string(body), `"id":"checkpoint"`) {
			t.Fatalf("round %d: checkpoints: %d %s", round, status, body)
		}
	}
	leftovers := func() []string {
		var out []string
		for _, d := range []string{root, cpDir} {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".quire-") {
					out = append(out, filepath.Join(filepath.Base(d), e.Name()))
				}
			}
		}
		return out
	}
	// clean saves each file once, so the leftovers of the killed server
	// must be gone afterwards.
	clean := func(round int) {
		t.Helper()
		v := (st.nb + 1) % large
		if _, err := do(in, "PUT", "api/contents/nb.ipynb", nbBodies[v]); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		st.nb, st.nbInflight = v, -1
		if _, err := do(in, "POST", "api/contents/nb.ipynb/checkpoints", nil); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		st.cp, st.cpInflight = nbHash[v], ""
		b := (st.blob + 1) % len(blobs)
		if err := upload(in, b, nil); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		st.blob, st.blobInflight = b, -1
		if l := leftovers(); len(l) > 0 {
			t.Fatalf("round %d: after a save of each file the killed server's leftovers remain: %v", round, l)
		}
	}

	round := 0
	for ; st.saves < total; round++ {
		if round > 0 {
			in = startQuire(t, opts{root: root, home: home})
			check(round)
			clean(round)
		}
		largeSent := make(chan struct{}, 1)
		done := make(chan error, 1)
		srv := in
		go func() {
			// Saves one after another: each request is acknowledged
			// before the next starts, so at most one is in flight.
			for i := 0; ; i++ {
				var err error
				switch op := rng.IntN(10); {
				case op < 7:
					v := rng.IntN(len(nbBodies))
					if v == st.nb {
						v = (v + 1) % len(nbBodies)
					}
					st.nbInflight = v
					st.saves++
					if v == large {
						select {
						case largeSent <- struct{}{}:
						default:
						}
					}
					if _, err = do(srv, "PUT", "api/contents/nb.ipynb", nbBodies[v]); err == nil {
						st.nb, st.nbInflight = v, -1
					}
				case op < 9:
					v := (st.blob + 1) % len(blobs)
					st.saves++
					if err = upload(srv, v, func() { st.blobInflight = v }); err == nil {
						st.blob, st.blobInflight = v, -1
					}
				default:
					st.cpInflight = nbHash[st.nb]
					if _, err = do(srv, "POST", "api/contents/nb.ipynb/checkpoints", nil); err == nil {
						st.cp, st.cpInflight = nbHash[st.nb], ""
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
		}()
		if rng.IntN(4) == 0 {
			// Kill while a large body is on its way or being written.
			select {
			case <-largeSent:
				time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
			case <-time.After(2 * time.Second):
			}
		} else {
			time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond)
		}
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.exited
		if err := <-done; errors.As(err, new(*answeredError)) {
			t.Fatalf("round %d: a save failed before the kill: %v", round, err)
		}
	}
	in = startQuire(t, opts{root: root, home: home})
	check(round)
	clean(round)
	t.Logf("%d saves over %d kills", st.saves, round)
}

// mountTmpfs mounts a tmpfs of the given size on a new directory, or
// skips the test when that is impossible (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("the disk-full test needs its own small tmpfs, and mounting one failed (run as root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes path until about keep bytes are left free on its file
// system (keep 0: until the disk is full).
func fillDisk(t *testing.T, path string, keep int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	n := int64(st.Bavail)*int64(st.Bsize) - keep
	if keep == 0 {
		n += 1 << 20
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("f"), int(max(n, 0))), 0o644); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
}

// TestDiskFull runs the server on a 2 MiB tmpfs: a save, a checkpoint or an
// upload chunk that does not fit answers 507 with a JSON message saying the
// disk is full (no OS path); the previous version and checkpoint stay byte
// for byte; the server keeps serving; a failed upload leaves no part
// behind; and saving works again once space is freed.
func TestDiskFull(t *testing.T) {
	root := mountTmpfs(t, "2m")
	in := startQuire(t, opts{root: root})
	nbFile := filepath.Join(root, "nb.ipynb")
	cpFile := filepath.Join(root, ".ipynb_checkpoints", "nb-checkpoint.ipynb")
	filler := filepath.Join(root, "filler")
	save := func(marker string, cells int) (int, []byte) {
		status, b, _ := in.do(in.req("PUT", "api/contents/nb.ipynb", jsonBody(t, map[string]any{"type": "notebook", "content": notebookWith(marker, cells)})))
		return status, b
	}
	chunk := func(n int, data []byte) (int, []byte) {
		status, b, _ := in.do(in.req("PUT", "api/contents/up.bin", jsonBody(t, map[string]any{
			"type": "file", "format": "base64", "chunk": n, "content": base64.StdEncoding.EncodeToString(data)})))
		return status, b
	}
	is507 := func(what string, status int, b []byte) {
		t.Helper()
		msg := messageOf(b)
		if status != http.StatusInsufficientStorage || !strings.Contains(msg, "disk is full") || strings.Contains(string(b), root) {
			t.Errorf("%s on a full disk: %d %s; want 507 saying the disk is full, naming no OS path", what, status, b)
		}
	}
	stillServes := func(when string) {
		t.Helper()
		for _, p := range []string{"api/status", "api/contents", "api/contents/nb.ipynb"} {
			if status, b, _ := in.do(in.req("GET", p, nil)); status != 200 {
				t.Errorf("%s: GET %s: %d %s", when, p, status, b)
			}
		}
	}
	noParts := func(when string) {
		t.Helper()
		for _, d := range []string{root, filepath.Dir(cpFile)} {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".quire-") {
					t.Errorf("%s: %s left in %s", when, e.Name(), d)
				}
			}
		}
	}

	if status, b := save("v1", 10); status != 201 {
		t.Fatalf("first save: %d %s", status, b)
	}
	if status, b, _ := in.do(in.req("POST", "api/contents/nb.ipynb/checkpoints", nil)); status != 201 {
		t.Fatalf("checkpoint: %d %s", status, b)
	}
	v1, _ := os.ReadFile(nbFile)
	cp1, _ := os.ReadFile(cpFile)
	if len(v1) == 0 || !bytes.Equal(v1, cp1) {
		t.Fatal("no notebook or checkpoint to start from")
	}

	fillDisk(t, filler, 0)
	status, b := save("v2", 300)
	is507("a notebook save", status, b)
	if got, _ := os.ReadFile(nbFile); !bytes.Equal(got, v1) {
		t.Errorf("the notebook changed after a failed save (%d bytes, was %d)", len(got), len(v1))
	}
	stillServes("after the failed save")
	status, b, _ = in.do(in.req("POST", "api/contents/nb.ipynb/checkpoints", nil))
	is507("a checkpoint", status, b)
	if got, _ := os.ReadFile(cpFile); !bytes.Equal(got, cp1) {
		t.Error("the checkpoint changed after a failed checkpoint")
	}
	noParts("after the failed save and checkpoint")

	// An upload that runs out of space on its third chunk.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	fillDisk(t, filler, 300_000)
	part := bytes.Repeat([]byte("u"), 100_000)
	for _, n := range []int{1, 2} {
		if status, b := chunk(n, part); status != 200 && status != 201 {
			t.Fatalf("chunk %d with space left: %d %s", n, status, b)
		}
	}
	status, b = chunk(3, bytes.Repeat(part, 4))
	is507("an upload chunk", status, b)
	noParts("after the failed chunk")
	if status, b := chunk(-1, part); status != 400 {
		t.Errorf("last chunk of a failed upload: %d %s, want 400 (no upload in progress)", status, b)
	}
	stillServes("after the failed upload")

	// Space freed: saving and checkpoints work again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if status, b := save("v2", 300); status != 200 {
		t.Fatalf("save after freeing space: %d %s", status, b)
	}
	if status, b, _ := in.do(in.req("POST", "api/contents/nb.ipynb/checkpoints", nil)); status != 201 {
		t.Fatalf("checkpoint after freeing space: %d %s", status, b)
	}
	v2, _ := os.ReadFile(nbFile)
	if cp2, _ := os.ReadFile(cpFile); !bytes.Contains(v2, []byte("v2")) || !bytes.Equal(v2, cp2) {
		t.Error("after freeing space the notebook or its checkpoint is not the new version")
	}
	noParts("at the end")
}

// numbered checks that text is the lines "0", "1", … "n-1" (the last one
// possibly cut short, as a kill can land mid-write) and returns n.
func numbered(t *testing.T, who, text string) int {
	t.Helper()
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && !strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1] // a partial last line
	} else if len(lines) > 0 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if l != strconv.Itoa(i) {
			t.Fatalf("%s: line %d is %.40q, want %d (output lost or reordered)", who, i, l, i)
		}
	}
	return len(lines)
}

// TestKernelKilledMidOutput kills a kernel (SIGKILL, as the OOM killer
// does, or SIGSEGV) while a cell prints numbered lines: a watching client
// gets status dead and every line printed before the kill, in order; the
// client that ran the cell and was away meanwhile gets the lines it missed
// replayed when it comes back after the restart; the restart works and a
// new cell runs.
func TestKernelKilledMidOutput(t *testing.T) {
	needIPyKernel(t)
	slow := "import time\nfor i in range(10**6):\n    print(i, flush=True)\n    time.sleep(0.002)"
	burst := "for i in range(10**8):\n    print(i)"
	for _, tc := range []struct {
		name string
		code string
		sig  syscall.Signal
		min  int // lines the client waits for before the kill
	}{
		{"SIGKILL while printing", slow, syscall.SIGKILL, 200},
		{"SIGKILL during a burst, as the OOM killer", burst, syscall.SIGKILL, 200_000},
		{"SIGSEGV during a burst", burst, syscall.SIGSEGV, 200_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := startQuire(t, opts{})
			k := startKernel(t, in)
			a := mustDial(t, in, k.ID, wire.NewID(), false)
			bSession := wire.NewID()
			b := mustDial(t, in, k.ID, bSession, false)
			pid := kernelPID(t, in, k.ID)
			// B runs the cell (a notebook page), A watches (another page).
			id := b.send("shell", "execute_request", executeContent(tc.code, false))

			stdout := func(m kmsg) string {
				if m.Parent.MsgID == id && m.Channel == "iopub" && m.Header.MsgType == "stream" && m.str("name") == "stdout" {
					return m.str("text")
				}
				return ""
			}
			// B sees the first lines, then goes away (a reload): the output
			// of its execution is kept in its session's offline buffer.
			var bOut strings.Builder
			b.waitFor(60*time.Second, "B: the first lines", func(m kmsg) bool {
				bOut.WriteString(stdout(m))
				return strings.Count(bOut.String(), "\n") >= 5
			})
			b.close()
			// What B's reader took in before its close completed reached B
			// (a page unloading gets those frames too): only output the
			// server had not sent is B's to be replayed.
			for drained := false; !drained; {
				select {
				case m := <-b.msgs:
					bOut.WriteString(stdout(m))
				default:
					drained = true
				}
			}

			var aOut strings.Builder
			a.waitFor(120*time.Second, fmt.Sprintf("A: %d lines", tc.min), func(m kmsg) bool {
				aOut.WriteString(stdout(m))
				return strings.Count(aOut.String(), "\n") >= tc.min
			})
			if err := syscall.Kill(pid, tc.sig); err != nil {
				t.Fatal(err)
			}
			a.waitFor(60*time.Second, "A: iopub status dead", func(m kmsg) bool {
				aOut.WriteString(stdout(m))
				return m.Channel == "iopub" && m.Header.MsgType == "status" && m.str("execution_state") == "dead"
			})
			n := numbered(t, "A", aOut.String())
			t.Logf("A got %d lines before the kill", n)
			if status, m, body := getKernel(t, in, k.ID); status != 200 || m.ExecutionState != "dead" {
				t.Errorf("REST model after the kill: %d %s, want execution_state dead", status, body)
			}

			status, body, _ := apiJSON(t, in, "POST", "api/kernels/"+k.ID+"/restart", nil)
			if status != 200 {
				t.Fatalf("restart: %d %s", status, body)
			}
			// B comes back with its session: the lines it missed are
			// replayed, in order, up to the last one A saw at least; the
			// dead status of the old process is not (Jupyter clients take
			// it as final, and the kernel runs again).
			b2 := mustDial(t, in, k.ID, bSession, false)
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				wait := time.Until(deadline)
				if strings.Count(bOut.String(), "\n") >= n {
					wait = 2 * time.Second // then only what else is replayed
				}
				m, ok := b2.next(wait)
				if !ok {
					break
				}
				bOut.WriteString(stdout(m))
				if m.Channel == "iopub" && m.Header.MsgType == "status" && m.str("execution_state") == "dead" {
					t.Errorf("B was replayed the dead status of the killed process after the restart")
				}
			}
			if got := numbered(t, "B after reconnecting", bOut.String()); got < n {
				t.Errorf("B has %d lines after reconnecting, A had %d before the kill: the replay lost output", got, n)
			}
			if r := b2.execute("print('back')", 60*time.Second); r.Stdout != "back\n" {
				t.Errorf("a cell after the restart printed %q", r.Stdout)
			}
		})
	}
}
