package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/creack/pty"
)

// Issue #17's terminals, over Jupyter's terminal API: POST /api/terminals,
// the WebSocket /terminals/websocket/<name> speaking terminado's JSON
// arrays, DELETE /api/terminals/<name>.

const (
	termShell   = "/bin/sh" // both servers and the floor run this shell
	termRows    = 24        // the size every client sets, as xterm.js's default
	termCols    = 80
	termTimeout = 30 * time.Second // a terminal's POST, prompt, one keystroke's echo
	seqTimeout  = 5 * time.Minute  // the whole `seq` output
	// termPrompt is the prompt every shell is given before anything is
	// timed; the command that sets it writes it as '@''P@ ', so its echo
	// never matches.
	termPrompt = "@P@ "
	setPrompt  = "PS1='@''P@ '\r"
)

// termConn is one client of a terminal: a server's WebSocket, or the
// floor's own pty.
type termConn interface {
	// write sends text as typed (the WebSocket's ["stdin", text]).
	write(ctx context.Context, text string) error
	// out delivers what the terminal printed, in order; it is closed when
	// the connection ends, after which err says why.
	out() <-chan string
	err() error
	close()
}

// termReader is the reading half both termConns share.
type termReader struct {
	ch   chan string
	done chan struct{} // closed when the reader exits, before ch
	why  error
}

func newTermReader() termReader {
	return termReader{ch: make(chan string, 4096), done: make(chan struct{})}
}

func (r *termReader) out() <-chan string { return r.ch }
func (r *termReader) err() error {
	select {
	case <-r.done:
		return r.why
	default:
		return nil
	}
}

// wsTerm is a terminal's WebSocket.
type wsTerm struct {
	termReader
	conn *websocket.Conn
	stop context.CancelFunc
	// disconnect is the code of the server's ["disconnect", code], if any.
	disconnect string
}

// dialTerminal opens the WebSocket of terminal name on srv and sets its
// size, as a browser's xterm.js does on open.
func dialTerminal(ctx context.Context, srv *server, name string) (*wsTerm, error) {
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/terminals/websocket/" + name
	dctx, cancel := context.WithTimeout(ctx, termTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, url, &websocket.DialOptions{
		HTTPHeader:      http.Header{"Authorization": {"token " + srv.token}},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		status, body := 0, ""
		if resp != nil {
			status = resp.StatusCode
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
				body = strings.TrimSpace(string(b))
			}
		}
		return nil, fmt.Errorf("terminal WebSocket (status %d %s): %w", status, body, err)
	}
	conn.SetReadLimit(1 << 30)
	rctx, stop := context.WithCancel(context.Background())
	t := &wsTerm{termReader: newTermReader(), conn: conn, stop: stop}
	go t.read(rctx)
	if err := t.send(ctx, []any{"set_size", termRows, termCols}); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *wsTerm) read(ctx context.Context) {
	defer close(t.ch)
	defer close(t.done)
	for {
		_, data, err := t.conn.Read(ctx)
		if err != nil {
			t.why = err
			if t.disconnect != "" {
				t.why = fmt.Errorf("server sent [\"disconnect\", %s], then: %w", t.disconnect, err)
			}
			return
		}
		// Most frames are output: decode their text in one pass, so the
		// harness's share of the two CPUs stays small during seq.
		if p, ok := bytes.CutPrefix(data, []byte(`["stdout",`)); ok && bytes.HasSuffix(p, []byte("]")) {
			var text string
			if err := json.Unmarshal(p[:len(p)-1], &text); err == nil {
				select {
				case t.ch <- text:
					continue
				case <-ctx.Done():
					t.why = ctx.Err()
					return
				}
			}
		}
		var msg []json.RawMessage
		var kind string
		if err := json.Unmarshal(data, &msg); err != nil || len(msg) == 0 || json.Unmarshal(msg[0], &kind) != nil {
			t.why = fmt.Errorf("frame from server is not a terminado message: %.100q", data)
			return
		}
		switch kind {
		case "stdout":
			var text string
			if len(msg) < 2 || json.Unmarshal(msg[1], &text) != nil {
				t.why = fmt.Errorf("stdout frame without text: %.100q", data)
				return
			}
			select {
			case t.ch <- text:
			case <-ctx.Done():
				t.why = ctx.Err()
				return
			}
		case "disconnect":
			if len(msg) > 1 {
				t.disconnect = string(msg[1])
			} else {
				t.disconnect = "(no code)"
			}
		}
		// "setup" and anything else carry nothing the bench needs.
	}
}

func (t *wsTerm) send(ctx context.Context, msg []any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return t.conn.Write(ctx, websocket.MessageText, data)
}

func (t *wsTerm) write(ctx context.Context, text string) error {
	return t.send(ctx, []any{"stdin", text})
}

func (t *wsTerm) close() {
	_ = t.conn.Close(websocket.StatusNormalClosure, "")
	t.stop()
	<-t.done
}

// ptyTerm is the floor: the same shell on the harness's own pty, no
// server in between.
type ptyTerm struct {
	termReader
	f    *os.File
	cmd  *exec.Cmd
	once sync.Once
}

func startPtyTerm(dir string) (*ptyTerm, error) {
	cmd := exec.Command(termShell)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), "HOME="+dir, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: termRows, Cols: termCols})
	if err != nil {
		return nil, fmt.Errorf("floor: start %s on a pty: %w", termShell, err)
	}
	t := &ptyTerm{termReader: newTermReader(), f: f, cmd: cmd}
	go t.read()
	return t, nil
}

func (t *ptyTerm) read() {
	defer close(t.ch)
	defer close(t.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := t.f.Read(buf)
		if n > 0 {
			t.ch <- string(buf[:n])
		}
		if err != nil {
			t.why = fmt.Errorf("floor pty: %w", err) // EIO once the shell has exited
			return
		}
	}
}

func (t *ptyTerm) write(_ context.Context, text string) error {
	_, err := io.WriteString(t.f, text)
	return err
}

// close ends the shell and the reader; idempotent. A shell that ignores
// SIGHUP (the harness run under nohup passes the ignore on) is killed
// after a few seconds: only its end unblocks the reader.
func (t *ptyTerm) close() {
	t.once.Do(func() {
		_ = t.cmd.Process.Signal(syscall.SIGHUP)
		_ = t.f.Close()
		go func() {
			for range t.ch { // unblock the reader if it is sending
			}
		}()
		select {
		case <-t.done:
		case <-time.After(5 * time.Second):
			_ = t.cmd.Process.Kill()
			<-t.done
		}
		_ = t.cmd.Wait()
	})
}

// screen reads a termConn's output and matches against it.
type screen struct {
	c   termConn
	acc string // read, not yet consumed by a match
}

// expect reads until want has been printed and consumes the output up to
// and including it.
func (s *screen) expect(ctx context.Context, want string, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		if i := strings.Index(s.acc, want); i >= 0 {
			s.acc = s.acc[i+len(want):]
			return nil
		}
		select {
		case text, ok := <-s.c.out():
			if !ok {
				return fmt.Errorf("waiting for %q: connection ended (%v); last output %q", want, s.c.err(), tail(s.acc, 200))
			}
			s.acc += text
		case <-t.C:
			return fmt.Errorf("no %q after %v; last output %q", want, timeout, tail(s.acc, 200))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// ready sets the shell's prompt and waits for it: the shell has started
// and read a line, and nothing is left in flight.
func (s *screen) ready(ctx context.Context) error {
	if err := s.c.write(ctx, setPrompt); err != nil {
		return err
	}
	if err := s.expect(ctx, termPrompt, termTimeout); err != nil {
		return fmt.Errorf("shell prompt: %w", err)
	}
	s.acc = ""
	return nil
}

// echoLoop types one printable character and times until its echo
// arrives, then erases it with DEL (untimed; the tty echoes "\b \b"), so
// the line stays empty; warm keystrokes first, untimed.
func (s *screen) echoLoop(ctx context.Context, warm, timed int) ([]float64, error) {
	var lat []float64
	for i := range warm + timed {
		key := string(rune('a' + i%26))
		t0 := time.Now()
		if err := s.c.write(ctx, key); err != nil {
			return nil, err
		}
		if err := s.expect(ctx, key, termTimeout); err != nil {
			return nil, fmt.Errorf("keystroke %d: %w", i+1, err)
		}
		d := time.Since(t0)
		if i >= warm {
			lat = append(lat, ms(d))
		}
		if err := s.c.write(ctx, "\x7f"); err != nil {
			return nil, err
		}
		if err := s.expect(ctx, "\b \b", termTimeout); err != nil {
			return nil, fmt.Errorf("erasing keystroke %d: %w", i+1, err)
		}
	}
	return lat, nil
}

// seqResult is one `seq 1 n` run.
type seqResult struct {
	took     time.Duration // from sending the command until the prompt after its last line
	bytes    int           // output bytes from the command's echo to the prompt, both included
	frames   int           // stdout messages (a pty read, for the floor) that carried them
	inOrder  int           // lines that were the next number expected
	problems int           // lines that were not (lost, repeated, garbled)
}

// seqRun runs `seq 1 n` and reads until the next prompt, checking that
// every number arrived, in order, one per line (\r\n: the tty's ONLCR).
func (s *screen) seqRun(ctx context.Context, n int) (seqResult, error) {
	ctx, cancel := context.WithTimeout(ctx, seqTimeout)
	defer cancel()
	cmd := "seq 1 " + strconv.Itoa(n)
	var r seqResult
	t0 := time.Now()
	if err := s.c.write(ctx, cmd+"\r"); err != nil {
		return r, err
	}
	started := false // the command's echoed line has been seen
	next := 1
	partial := s.acc
	s.acc = ""
	line := func(l string) {
		l = strings.TrimSuffix(l, "\r")
		if !started {
			started = strings.HasSuffix(l, cmd)
			return
		}
		if l == strconv.Itoa(next) {
			r.inOrder++
			next++
			return
		}
		r.problems++
		if v, err := strconv.Atoi(l); err == nil && v > next {
			next = v + 1 // resynchronise after a gap
		}
	}
	for {
		for {
			i := strings.IndexByte(partial, '\n')
			if i < 0 {
				break
			}
			line(partial[:i])
			partial = partial[i+1:]
		}
		if started && partial == termPrompt {
			r.took = time.Since(t0)
			return r, nil
		}
		select {
		case text, ok := <-s.c.out():
			if !ok {
				return r, fmt.Errorf("seq: connection ended after %d lines (%v)", r.inOrder, s.c.err())
			}
			r.bytes += len(text)
			r.frames++
			partial += text
		case <-ctx.Done():
			return r, fmt.Errorf("seq: %d of %d lines in order (%d others) when %v passed; last output %q",
				r.inOrder, n, r.problems, seqTimeout, tail(partial, 200))
		}
	}
}

// seqBytes is what `seq 1 n` prints through a tty: the digits of every
// number and \r\n after each.
func seqBytes(n int) int {
	b := 0
	for lo, digits := 1, 1; lo <= n; lo, digits = lo*10, digits+1 {
		hi := min(n, lo*10-1)
		b += (hi - lo + 1) * (digits + 2)
	}
	return b
}

// startTerminal creates a terminal with POST /api/terminals and returns its name.
func startTerminal(ctx context.Context, srv *server) (string, error) {
	r, err := srv.client.expect(ctx, http.MethodPost, "/api/terminals", nil, termTimeout, http.StatusOK, http.StatusCreated)
	if err != nil {
		return "", err
	}
	var m struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil || m.Name == "" {
		return "", fmt.Errorf("POST /api/terminals: no name in %.200q (%v)", r.body, err)
	}
	return m.Name, nil
}

// openTerminal creates a terminal, opens its WebSocket and waits for the
// shell's prompt.
func openTerminal(ctx context.Context, srv *server) (string, *screen, error) {
	name, err := startTerminal(ctx, srv)
	if err != nil {
		return "", nil, err
	}
	ws, err := dialTerminal(ctx, srv, name)
	if err != nil {
		return name, nil, err
	}
	s := &screen{c: ws}
	if err := s.ready(ctx); err != nil {
		ws.close()
		return name, nil, fmt.Errorf("terminal %s: %w", name, err)
	}
	return name, s, nil
}

// closeTerminals closes the WebSockets, deletes the terminals and checks
// that the server lists none.
func closeTerminals(ctx context.Context, srv *server, names []string, screens []*screen) error {
	for _, s := range screens {
		s.c.close()
	}
	var errs []error
	for _, name := range names {
		_, err := srv.client.expect(ctx, http.MethodDelete, "/api/terminals/"+name, nil, termTimeout, http.StatusNoContent)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r, err := srv.client.expect(ctx, http.MethodGet, "/api/terminals", nil, termTimeout, http.StatusOK)
	if err != nil {
		return err
	}
	var left []json.RawMessage
	if err := json.Unmarshal(r.body, &left); err != nil {
		return fmt.Errorf("GET /api/terminals: %w: %.200q", err, r.body)
	}
	if len(left) > 0 {
		return fmt.Errorf("%d terminal(s) still listed after every one was deleted: %.200q", len(left), r.body)
	}
	return nil
}

// startTermServer starts sp on an empty root with terminals running termShell.
func startTermServer(ctx context.Context, e *env, sp spec) (*server, error) {
	root, err := os.MkdirTemp(e.tmp, "term-root-")
	if err != nil {
		return nil, err
	}
	args := sp.terminal(termShell)
	if real, err := filepath.EvalSymlinks(termShell); err == nil {
		e.observe(fmt.Sprintf("terminals: %s runs with `%s` (%s is %s)", sp.name, strings.Join(args, " "), termShell, real))
	}
	return startServer(ctx, e, withArgs(sp, args...), root)
}

// terminalScenario measures keystroke echo and output throughput through
// each server's terminal WebSocket, and the same on the harness's own pty.
func terminalScenario(cfg config) scenario {
	p50 := metric{name: "terminal keystroke echo p50 (WebSocket)", unit: millis, q: 0.5, goal: 1.0 / 3}
	p99 := metric{name: "terminal keystroke echo p99 (WebSocket)", unit: millis, q: 0.99}
	fp50 := metric{name: "terminal keystroke echo p50, direct pty floor (no server)", unit: millis, q: 0.5}
	fp99 := metric{name: "terminal keystroke echo p99, direct pty floor (no server)", unit: millis, q: 0.99}
	xFloor := metric{name: "terminal echo p50 ÷ floor p50 (same round)", unit: factor, goal: 1.2, own: true}
	wp50 := metric{name: "terminal keystroke echo p50, WebSocket echo floor (no pty, no shell)", unit: millis, q: 0.5}
	wp99 := metric{name: "terminal keystroke echo p99, WebSocket echo floor (no pty, no shell)", unit: millis, q: 0.99}
	what := fmt.Sprintf("`seq 1 %d`", cfg.termSeq)
	thr := metric{name: "terminal output " + what + ": MB/s", unit: mbps, goal: 3, higher: true}
	secs := metric{name: "terminal output " + what + ": time to the next prompt", unit: seconds}
	kept := metric{name: "terminal output " + what + ": lines arrived in order", unit: percent, goal: 100, higher: true, own: true}
	frames := metric{name: "terminal output " + what + ": stdout messages received", unit: count}
	fthr := metric{name: "terminal output " + what + ": MB/s, direct pty floor", unit: mbps}
	fframes := metric{name: "terminal output " + what + ": pty reads, direct pty floor", unit: count}
	return scenario{
		name: "terminal",
		about: fmt.Sprintf("%d rounds, each on a fresh server with terminals running %s (no arguments, no rc files: Debian's dash) "+
			"and an empty root; POST /api/terminals, its WebSocket (`set_size` %d×%d sent on open), the prompt set to %q and waited for; "+
			"then %d keystrokes after %d warm-ups, each one printable letter sent as [\"stdin\", c] and timed until the tty's echo of it arrives in a "+
			"[\"stdout\", …] frame, then erased with DEL (untimed, until \"\\b \\b\" arrives) so the line stays empty; p50/p99 over all timed keystrokes; "+
			"then %s typed, timed from sending it until its last line and the next prompt have arrived, every line checked to be the next number "+
			"(MB/s = bytes of stdout text from the command's echo to the prompt, both included, ÷ that time; the numbers and their \\r\\n are %d bytes); "+
			"stdout messages = the [\"stdout\", …] frames that carried it (pty reads of up to 64 KiB for the floor); "+
			"the floor, in the same round: the harness starts the same shell on its own pty (github.com/creack/pty, same size and prompt) "+
			"and runs the same two loops on it with no server in between; ÷ floor is per round, Quire's own goal; "+
			"then the WebSocket echo floor: the harness's binary re-run as a server that answers each [\"stdin\", c] with [\"stdout\", c] at once "+
			"(DEL with \"\\b \\b\"), over the same loopback WebSocket client, no pty or shell, timed with the same keystroke loop: the transport's share of an echo",
			cfg.termRounds, termShell, termRows, termCols, termPrompt, cfg.termKeys, cfg.termWarm, what, seqBytes(cfg.termSeq)),
		metrics: []metric{p50, p99, fp50, fp99, xFloor, wp50, wp99, thr, secs, kept, frames, fthr, fframes},
		rounds:  cfg.termRounds,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			srv, err := startTermServer(ctx, e, sp)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			s := make(samples)
			name, sc, err := openTerminal(ctx, srv)
			if err != nil {
				var names []string
				if name != "" {
					names = []string{name}
				}
				closeTerminals(context.WithoutCancel(ctx), srv, names, nil)
				return s, err
			}
			defer func() {
				if sc != nil {
					closeTerminals(context.WithoutCancel(ctx), srv, []string{name}, []*screen{sc})
				}
			}()
			lat, err := sc.echoLoop(ctx, e.cfg.termWarm, e.cfg.termKeys)
			if err != nil {
				return s, fmt.Errorf("echo: %w", err)
			}
			seq, err := sc.seqRun(ctx, e.cfg.termSeq)
			if err != nil {
				return s, err
			}
			err = closeTerminals(ctx, srv, []string{name}, []*screen{sc})
			sc = nil
			if err != nil {
				return s, err
			}
			if err := srv.stop(); err != nil { // the floor runs on a quiet machine
				return s, err
			}

			floorDir, err := os.MkdirTemp(e.tmp, "term-floor-")
			if err != nil {
				return s, err
			}
			pt, err := startPtyTerm(floorDir)
			if err != nil {
				return s, err
			}
			defer pt.close()
			fs := &screen{c: pt}
			if err := fs.ready(ctx); err != nil {
				return s, fmt.Errorf("floor: %w", err)
			}
			flat, err := fs.echoLoop(ctx, e.cfg.termWarm, e.cfg.termKeys)
			if err != nil {
				return s, fmt.Errorf("floor echo: %w", err)
			}
			fseq, err := fs.seqRun(ctx, e.cfg.termSeq)
			if err != nil {
				return s, fmt.Errorf("floor: %w", err)
			}
			if fseq.problems > 0 || fseq.inOrder != e.cfg.termSeq {
				return s, fmt.Errorf("floor: seq delivered %d lines in order, %d others", fseq.inOrder, fseq.problems)
			}

			pt.close() // before the next floor
			wlat, err := wsEchoFloor(ctx, e, e.cfg.termWarm, e.cfg.termKeys)
			if err != nil {
				return s, fmt.Errorf("WebSocket echo floor: %w", err)
			}

			s[p50.name], s[p99.name] = lat, lat
			s[wp50.name], s[wp99.name] = wlat, wlat
			s[fp50.name], s[fp99.name] = flat, flat
			s.add(xFloor.name, median(lat)/median(flat))
			s.add(thr.name, float64(seq.bytes)/seq.took.Seconds()/1e6)
			s.add(secs.name, seq.took.Seconds())
			s.add(kept.name, 100*float64(seq.inOrder)/float64(e.cfg.termSeq))
			s.add(frames.name, float64(seq.frames))
			s.add(fthr.name, float64(fseq.bytes)/fseq.took.Seconds()/1e6)
			s.add(fframes.name, float64(fseq.frames))
			if seq.problems > 0 {
				e.observe(fmt.Sprintf("terminal: %s's %s output had %d line(s) that were not the next number", srv.name, what, seq.problems))
			}
			return s, nil
		},
	}
}

// terminalRSSScenario measures what each open terminal costs the server
// process (not its shells): the terminals alone, then with a WebSocket
// each, then once every WebSocket has closed.
func terminalRSSScenario(cfg config) scenario {
	n := cfg.termCount
	mZero := metric{name: "server RSS with 0 terminals (before the first)", unit: mebis}
	mBare := metric{name: fmt.Sprintf("server RSS with %d terminals, no WebSocket yet", n), unit: mebis}
	mN := metric{name: fmt.Sprintf("server RSS with %d terminals open, a WebSocket each", n), unit: mebis}
	mPer := metric{name: fmt.Sprintf("server memory per open terminal ((RSS at %d − RSS at 0) ÷ %d)", n, n), unit: mebis, goal: 0.25}
	mPerBare := metric{name: "… of which the terminal alone (no WebSocket)", unit: mebis}
	mDetached := metric{name: fmt.Sprintf("server RSS with %d terminals, every WebSocket closed", n), unit: mebis}
	mPerIdle := metric{name: fmt.Sprintf("server memory per idle terminal, no client ((that RSS − RSS at 0) ÷ %d)", n), unit: mebis, goal: 0.25}
	mAnonPer := metric{name: fmt.Sprintf("server anonymous memory per open terminal ((RssAnon at %d − RssAnon at 0) ÷ %d)", n, n), unit: mebis}
	mAnonPerIdle := metric{name: "server anonymous memory per idle terminal, no client (RssAnon, as above)", unit: mebis}
	mPost := metric{name: "terminal POST /api/terminals", unit: millis, p90: true}
	mAttach := metric{name: "terminal WebSocket open → prompt", unit: millis, p90: true}
	return scenario{
		name: "terminal-rss",
		about: fmt.Sprintf("one server start with terminals running %s, empty root; GET /api/terminals; a warm-up terminal created, its WebSocket opened, "+
			"the prompt set and waited for, the WebSocket closed and the terminal deleted (so the code both servers run the first time a terminal "+
			"and its WebSocket are used, paged in once, is in every row rather than charged to the 20), then VmRSS of the server process %v later "+
			"(the 0 row); %d terminals created one after another by POST /api/terminals (timed), VmRSS %v after the last (the no-WebSocket row); "+
			"then each terminal's WebSocket opened (`set_size` sent; it stays open) and the prompt set and waited for (timed), "+
			"VmRSS %v after the last; then every WebSocket closed and VmRSS read %v later (the idle rows); "+
			"VmRSS is the server process's alone (the shells are separate processes); "+
			"per terminal = (that RSS − the 0 row) ÷ %d; RssAnon (anonymous pages alone: no file-backed pages of the binary or the interpreter's "+
			"libraries) read with each VmRSS and differenced the same way; then every terminal is deleted and the list checked empty. "+
			"Quire only: before the 0 row's wait and after the idle rows, it writes a goroutine dump on SIGUSR1 (QUIRE_GOROUTINE_DUMP) "+
			"after a collection that returns free memory; RssAnon and the runtime's heap objects and stacks are read then and listed under observed",
			termShell, cfg.idleWait, n, cfg.idleWait, cfg.idleWait, cfg.idleWait, n),
		metrics: []metric{mZero, mBare, mN, mPer, mPerBare, mDetached, mPerIdle, mAnonPer, mAnonPerIdle, mPost, mAttach},
		rounds:  1,
		run: func(ctx context.Context, e *env, sp spec) (samples, error) {
			// Quire only: what the terminals hold once a collection has
			// returned free memory, without the heap the Go runtime keeps
			// from the burst of opening them. jupyter_server has no such
			// dump, so these go under observed.
			var dump string
			if sp.name == "Quire" {
				var b [4]byte
				_, _ = rand.Read(b[:])
				dump = filepath.Join(e.tmp, "terminal-rss-goroutines-"+hex.EncodeToString(b[:])+".txt")
				sp = withEnv(sp, "QUIRE_GOROUTINE_DUMP="+dump)
			}
			srv, err := startTermServer(ctx, e, sp)
			if err != nil {
				return nil, err
			}
			defer srv.stop()
			s := make(samples)
			if _, err := srv.client.expect(ctx, http.MethodGet, "/api/terminals", nil, termTimeout, http.StatusOK); err != nil {
				return s, err
			}
			// RssAnon beside each VmRSS, in the order read.
			var anon []float64
			rssAfterWait := func() (float64, error) {
				if err := sleep(ctx, e.cfg.idleWait); err != nil {
					return 0, err
				}
				a, err := srv.mib("RssAnon")
				if err != nil {
					return 0, err
				}
				anon = append(anon, a)
				return srv.rssMiB()
			}
			// Warm-up: one terminal used and closed before any reading.
			{
				name, err := startTerminal(ctx, srv)
				if err != nil {
					return s, fmt.Errorf("warm-up: %w", err)
				}
				ws, err := dialTerminal(ctx, srv, name)
				if err != nil {
					return s, fmt.Errorf("warm-up: %w", err)
				}
				sc := &screen{c: ws}
				if err := sc.ready(ctx); err != nil {
					_ = closeTerminals(ctx, srv, []string{name}, []*screen{sc})
					return s, fmt.Errorf("warm-up terminal %s: %w", name, err)
				}
				if err := closeTerminals(ctx, srv, []string{name}, []*screen{sc}); err != nil {
					return s, fmt.Errorf("warm-up: %w", err)
				}
			}
			// The dump allocates (and then returns free memory), so the
			// first is taken before the 0 row's wait: what it leaves is in
			// every row, not in the differences.
			var held0 soakLevels
			if dump != "" {
				if held0, err = soakRead(ctx, srv, dump); err != nil {
					return s, err
				}
			}
			zero, err := rssAfterWait()
			if err != nil {
				return s, err
			}
			var names []string
			var screens []*screen
			defer func() {
				if names != nil {
					closeTerminals(context.WithoutCancel(ctx), srv, names, screens)
				}
			}()
			for range n {
				t0 := time.Now()
				name, err := startTerminal(ctx, srv)
				if err != nil {
					return s, err
				}
				s.add(mPost.name, ms(time.Since(t0)))
				names = append(names, name)
			}
			bare, err := rssAfterWait()
			if err != nil {
				return s, err
			}
			for _, name := range names {
				t0 := time.Now()
				ws, err := dialTerminal(ctx, srv, name)
				if err != nil {
					return s, err
				}
				sc := &screen{c: ws}
				screens = append(screens, sc)
				if err := sc.ready(ctx); err != nil {
					return s, fmt.Errorf("terminal %s: %w", name, err)
				}
				s.add(mAttach.name, ms(time.Since(t0)))
			}
			rss, err := rssAfterWait()
			if err != nil {
				return s, err
			}
			for _, sc := range screens {
				sc.c.close()
			}
			screens = nil
			idle, err := rssAfterWait()
			if err != nil {
				return s, err
			}
			s.add(mZero.name, zero)
			s.add(mBare.name, bare)
			s.add(mN.name, rss)
			s.add(mPer.name, (rss-zero)/float64(n))
			s.add(mPerBare.name, (bare-zero)/float64(n))
			s.add(mDetached.name, idle)
			s.add(mPerIdle.name, (idle-zero)/float64(n))
			// anon: 0, bare, open, idle.
			s.add(mAnonPer.name, (anon[2]-anon[0])/float64(n))
			s.add(mAnonPerIdle.name, (anon[3]-anon[0])/float64(n))
			if dump != "" {
				held, err := soakRead(ctx, srv, dump)
				if err != nil {
					return s, err
				}
				goUse := func(l soakLevels) float64 {
					return l.goObjects + l.classes["/memory/classes/heap/stacks:bytes"]
				}
				e.observe(fmt.Sprintf("terminal-rss: Quire per idle terminal after a collection (%d terminals, WebSockets closed): "+
					"anonymous RSS %.1f KiB, Go heap objects and stacks %.1f KiB",
					n, (held.anon-held0.anon)*1024/float64(n), (goUse(held)-goUse(held0))*1024/float64(n)))
			}
			err = closeTerminals(ctx, srv, names, nil)
			names = nil
			if err != nil {
				return s, err
			}
			return s, srv.stop()
		},
	}
}
