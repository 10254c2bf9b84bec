package terminal_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"quire/internal/errkind"
	"quire/internal/fsroot"
	"quire/internal/terminal"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newManager returns a manager running /bin/sh with a plain prompt, closed
// when the test ends.
func newManager(t *testing.T, o terminal.Options) *terminal.Manager {
	t.Helper()
	if o.Command == nil {
		o.Command = []string{"/bin/sh"}
	}
	o.Env = []string{"PATH=/usr/bin:/bin", "PS1=$ ", "HOME=" + t.TempDir()}
	if o.Scrollback == 0 {
		o.Scrollback = 64 << 10
	}
	m := terminal.NewManager(o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func create(t *testing.T, m *terminal.Manager, name string) string {
	t.Helper()
	md, err := m.Create(context.Background(), name, t.TempDir())
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	return md.Name
}

func attach(t *testing.T, m *terminal.Manager, name string) *client {
	t.Helper()
	c, err := m.Attach(name)
	if err != nil {
		t.Fatalf("Attach(%q): %v", name, err)
	}
	t.Cleanup(c.Close)
	return &client{Client: c}
}

// client reads a terminal client's messages, collecting stdout.
type client struct {
	*terminal.Client
	out  strings.Builder
	msgs []string
}

func (c *client) send(t *testing.T, msg ...any) {
	t.Helper()
	b, _ := json.Marshal(msg)
	if err := c.Handle(b); err != nil {
		t.Fatalf("Handle(%s): %v", b, err)
	}
}

// until reads until stdout matches re, returning the submatches.
func (c *client) until(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if m := rx.FindStringSubmatch(c.out.String()); m != nil {
			return m
		}
		msg, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v; output so far %q", re, err, c.out.String())
		}
		c.msgs = append(c.msgs, string(msg))
		var parts []json.RawMessage
		if err := json.Unmarshal(msg, &parts); err != nil || len(parts) == 0 {
			t.Fatalf("server message %q is not a JSON array", msg)
		}
		var typ, text string
		_ = json.Unmarshal(parts[0], &typ)
		if typ == "stdout" {
			_ = json.Unmarshal(parts[1], &text)
			c.out.WriteString(text)
		}
	}
}

func TestNames(t *testing.T) {
	m := newManager(t, terminal.Options{Max: 3})
	for _, tc := range []struct {
		name, want string
		kind       errkind.Kind
	}{
		{"", "1", 0},
		{"", "2", 0},
		{"mine", "mine", 0},
		{"mine2", "", errkind.TooMany}, // the fourth
	} {
		md, err := m.Create(context.Background(), tc.name, t.TempDir())
		if tc.kind != 0 {
			if !errkind.Is(err, tc.kind) {
				t.Errorf("Create(%q) = %+v, %v; want a %v error", tc.name, md, err, tc.kind)
			}
			continue
		}
		if err != nil || md.Name != tc.want {
			t.Errorf("Create(%q) = %+v, %v; want name %q", tc.name, md, err, tc.want)
		}
	}
	var names []string
	for _, md := range m.List() {
		names = append(names, md.Name)
		if _, err := time.Parse(time.RFC3339Nano, md.LastActivity); err != nil || !strings.HasSuffix(md.LastActivity, "Z") {
			t.Errorf("last_activity %q is not an ISO time in UTC", md.LastActivity)
		}
	}
	if got := strings.Join(names, ","); got != "1,2,mine" {
		t.Errorf("List names = %s", got)
	}
	ctx := context.Background()
	if err := m.Delete(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		kind errkind.Kind
	}{
		{"mine", errkind.Conflict},
		{"no way", errkind.Invalid},
		{"../x", errkind.Invalid},
		{strings.Repeat("n", 65), errkind.Invalid},
	} {
		if _, err := m.Create(context.Background(), tc.name, t.TempDir()); !errkind.Is(err, tc.kind) {
			t.Errorf("Create(%q): %v; want a %v error", tc.name, err, tc.kind)
		}
	}
	if got := create(t, m, ""); got != "1" { // the smallest free number again
		t.Errorf("after deleting 1, Create gave %q", got)
	}
	if err := m.Delete(ctx, "nope"); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("Delete(unknown) = %v", err)
	}
	if _, err := m.Attach("nope"); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("Attach(unknown) = %v", err)
	}
}

// Two clients see the same output; one that attaches after every client
// left gets the earlier output back from the scrollback first.
func TestSharedOutputAndScrollback(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	a, b := attach(t, m, name), attach(t, m, name)
	a.send(t, "stdin", "echo $((6*7))\r")
	a.until(t, `42\r\n`)
	b.until(t, `42\r\n`)
	if a.msgs[0] != `["setup",{}]` || b.msgs[0] != `["setup",{}]` {
		t.Errorf("first messages %q, %q; want setup", a.msgs[0], b.msgs[0])
	}
	a.Close()
	b.Close()
	c := attach(t, m, name)
	c.until(t, `42\r\n`)
	if c.msgs[0] != `["setup",{}]` {
		t.Errorf("first message %q; want setup", c.msgs[0])
	}
	c.send(t, "stdin", "echo live$((1+1))\r")
	c.until(t, `live2`)
}

// The pty has the smallest size any attached client asked for.
func TestSizeIsSmallestClient(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	a, b := attach(t, m, name), attach(t, m, name)
	a.send(t, "set_size", 30, 100, 600, 1000)
	b.send(t, "set_size", 20, 120)
	a.send(t, "stdin", "stty size; echo end1\r")
	if got := a.until(t, `(\d+ \d+)\r\n`)[1]; got != "20 100" {
		t.Errorf("with 30×100 and 20×120 clients, stty size = %s; want 20 100", got)
	}
	b.Close()
	a.out.Reset()
	a.send(t, "stdin", "stty size; echo end2\r")
	if got := a.until(t, `(\d+ \d+)\r\n`)[1]; got != "30 100" {
		t.Errorf("after the smaller client left, stty size = %s; want 30 100", got)
	}
	// A size out of bounds is refused and changes nothing.
	bad, _ := json.Marshal([]any{"set_size", 100000, 100000})
	if err := a.Handle(bad); err == nil {
		t.Error("a 100000×100000 set_size was accepted")
	}
}

// A client that does not read is dropped once its queue is full; the
// terminal and the other client go on.
func TestSlowClientDropped(t *testing.T) {
	m := newManager(t, terminal.Options{ClientQueueBytes: 8 << 10})
	name := create(t, m, "")
	slow, fast := attach(t, m, name), attach(t, m, name)
	// 30 bursts of 500 bytes: the reading client keeps up with each, the
	// other falls 8 KiB behind.
	fast.send(t, "stdin", "i=0; while [ $i -lt 30 ]; do printf 'L%d:%0500d\\n' $i 0; sleep 0.05; i=$((i+1)); done; echo DO''NE\r")
	fast.until(t, `DONE`)
	if !strings.Contains(fast.out.String(), "L29:") {
		t.Error("the reading client missed output")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := slow.Next(ctx); !errors.Is(err, terminal.ErrTooSlow) {
		t.Errorf("the client that never read got %v; want ErrTooSlow", err)
	}
}

// Delete ends the shell and its background jobs (an interactive shell
// puts them in process groups of their own), and tells the clients.
func TestDeleteEndsSession(t *testing.T) {
	m := newManager(t, terminal.Options{ShutdownWait: 2 * time.Second})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "sleep 1000 & echo PID=$!\r")
	pid, _ := strconv.Atoi(c.until(t, `PID=(\d+)`)[1])
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		t.Fatalf("sleep (pid %d) is not running: %v", pid, err)
	}
	start := time.Now()
	if err := m.Delete(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Delete took %v: SIGHUP should end sh and sleep at once", d)
	}
	if alive(pid) {
		t.Errorf("sleep (pid %d) outlived its terminal", pid)
	}
	if _, ok := m.Get(name); ok {
		t.Error("the deleted terminal is still listed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		msg, err := c.Next(ctx)
		if err != nil {
			if !errors.Is(err, terminal.ErrEnded) {
				t.Errorf("client ended with %v; want ErrEnded", err)
			}
			break
		}
		c.msgs = append(c.msgs, string(msg))
	}
	if last := c.msgs[len(c.msgs)-1]; last != `["disconnect",1]` {
		t.Errorf("last message %q; want disconnect", last)
	}
}

// A process that ignores SIGHUP gets SIGKILL after ShutdownWait.
func TestDeleteKillsAfterWait(t *testing.T) {
	m := newManager(t, terminal.Options{ShutdownWait: 300 * time.Millisecond})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "trap '' HUP; (trap '' HUP; exec sleep 1000) & echo PID=$!\r")
	pid, _ := strconv.Atoi(c.until(t, `PID=(\d+)`)[1])
	if err := m.Delete(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("a process ignoring SIGHUP (pid %d) outlived its terminal", pid)
	}
}

// When the shell exits, the terminal ends and is no longer listed.
func TestShellExit(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "exit\r")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last string
	for {
		msg, err := c.Next(ctx)
		if err != nil {
			if !errors.Is(err, terminal.ErrEnded) {
				t.Fatalf("client ended with %v; want ErrEnded", err)
			}
			break
		}
		last = string(msg)
	}
	if last != `["disconnect",1]` {
		t.Errorf("last message %q; want disconnect", last)
	}
	if n, _ := m.Counts(); n != 0 {
		t.Errorf("%d terminals after the only shell exited", n)
	}
}

func TestCull(t *testing.T) {
	m := newManager(t, terminal.Options{CullTimeout: 300 * time.Millisecond, CullInterval: 50 * time.Millisecond})
	create(t, m, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.RunCuller(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for len(m.List()) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle terminal was not culled")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDirIn(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	root, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, tc := range []struct {
		cwd, want string // want "" = refused
	}{
		{"", dir},
		{"sub", filepath.Join(dir, "sub")},
		{"sub/deeper/", filepath.Join(dir, "sub", "deeper")},
		{"/sub", ""}, // an absolute path is an OS path, as in jupyter_server
		{filepath.Join(dir, "sub"), filepath.Join(dir, "sub")},
		{dir, dir},
		{"../", ""},
		{"sub/../..", ""},
		{"/etc", ""},
		{"/", ""},
		{filepath.Dir(dir), ""},
		{"out", ""},
		{"file.txt", ""},
		{"missing", ""},
		{"a\x00b", ""},
	} {
		got, err := terminal.DirIn(root, tc.cwd)
		if tc.want == "" {
			if !errkind.Is(err, errkind.Invalid) {
				t.Errorf("DirIn(%q) = %q, %v; want an Invalid error", tc.cwd, got, err)
			} else if msg, _ := errkind.Message(err); strings.Contains(msg, dir) && !strings.Contains(tc.cwd, dir) {
				t.Errorf("DirIn(%q)'s message %q names the root", tc.cwd, msg)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("DirIn(%q) = %q, %v; want %q", tc.cwd, got, err, tc.want)
		}
	}
}

// alive reports whether pid runs, waiting up to 5 s for it to go. A
// zombie counts as gone: its new parent (init) reaps it.
func alive(pid int) bool {
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && strings.HasPrefix(string(b[i+1:]), " Z") {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Typing into a shell that reads nothing blocks only until the client is
// closed.
func TestStdinToStoppedShellGivesUpOnClose(t *testing.T) {
	m := newManager(t, terminal.Options{ShutdownWait: time.Second})
	name := create(t, m, "")
	c := attach(t, m, name)
	// In raw mode the pty's input queue fills instead of dropping input.
	c.send(t, "stdin", "stty raw -echo; echo PID=$$\r")
	pid, _ := strconv.Atoi(c.until(t, `PID=(\d+)`)[1])
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	big, _ := json.Marshal([]any{"stdin", strings.Repeat("x", 1<<20)})
	done := make(chan error, 1)
	go func() { done <- c.Handle(big) }()
	time.Sleep(300 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, terminal.ErrClosed) {
			t.Errorf("Handle after Close = %v; want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write to a stopped shell still blocks after Close")
	}
}

// A paste larger than the pty's input queue arrives whole: what the
// first write cannot place waits for the shell to read, in order.
func TestLargeStdinArrivesWhole(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	c := attach(t, m, name)
	const n = 300000
	// head returns only once all n bytes came; none of them may be other
	// than x.
	c.send(t, "stdin", "stty raw -echo; echo \"[$(head -c "+strconv.Itoa(n)+" | tr -d x | wc -c)]\"; stty sane\r")
	time.Sleep(200 * time.Millisecond) // the shell reads its line before the paste
	c.send(t, "stdin", strings.Repeat("x", n))
	if got := c.until(t, `\[ *(\d+)\]`)[1]; got != "0" {
		t.Errorf("%s bytes of the paste were not what was sent", got)
	}
}

// A character whose bytes arrive in two reads reaches the client whole;
// bytes that are not UTF-8 at all become U+FFFD, not something else.
func TestSplitCharacterCarried(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "printf 'A\\342'; sleep 0.3; printf '\\202\\254B\\377C\\n'\r")
	got := c.until(t, `A.*B.*C\r\n`)[0]
	if got != "A€B\uFFFDC\r\n" {
		t.Errorf("output %q; want %q", got, "A€B\uFFFDC\r\n")
	}
}

// TestOnActivity: typed input is activity (JupyterHub hears of it); the
// shell's output and a resize are not.
func TestOnActivity(t *testing.T) {
	var n atomic.Int32
	m := newManager(t, terminal.Options{OnActivity: func() { n.Add(1) }})
	c := attach(t, m, create(t, m, ""))
	c.send(t, "set_size", 24, 80)
	c.until(t, `\$ `)
	if got := n.Load(); got != 0 {
		t.Fatalf("activity %d times before any input, want 0", got)
	}
	c.send(t, "stdin", "echo $((6*7))\r")
	c.until(t, `42\r\n`)
	if got := n.Load(); got != 1 {
		t.Errorf("activity %d times after one input, want 1", got)
	}
}

// Output offered to a client's connection (SetOffer) and output queued for
// it make one stream, in the order the shell wrote it, whichever each chunk
// took: offers are made only when nothing is queued before them, and a
// refused one is queued. The consumer here keeps the contract the WebSocket
// bridge keeps: a message is taken and recorded under one lock, which an
// offer only tries.
func TestOfferedOutputKeepsOrder(t *testing.T) {
	m := newManager(t, terminal.Options{})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "stty -echo; echo RE''ADY\r")
	c.until(t, `READY\r\n\$ $`)

	var (
		wmu              sync.Mutex // held to take and record a message
		stream           strings.Builder
		offered, refused atomic.Int64
		n                atomic.Int64
		ended            = make(chan struct{}) // closed once END is recorded
		sawEnd           bool
	)
	record := func(msg []byte) {
		var parts []string
		if err := json.Unmarshal(msg, &parts); err != nil {
			t.Errorf("message %q: %v", msg, err)
			return
		}
		if len(parts) == 2 && parts[0] == "stdout" {
			stream.WriteString(parts[1])
			// END may come split across two chunks: look at the stream.
			if !sawEnd && strings.Contains(stream.String(), "END\r\n") {
				sawEnd = true
				close(ended)
			}
		}
	}
	c.SetOffer(func(msg []byte) bool {
		if n.Add(1)%3 == 0 || !wmu.TryLock() { // refuse every third, as a busy connection would
			refused.Add(1)
			return false
		}
		defer wmu.Unlock()
		offered.Add(1)
		record(msg)
		return true
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for {
			select {
			case <-c.Ready():
			case <-ended:
				return
			case <-ctx.Done():
				t.Error("the last line did not come")
				return
			}
			for {
				wmu.Lock()
				msg, err := c.TryNext()
				if msg != nil {
					record(msg)
				}
				wmu.Unlock()
				if err != nil || msg == nil {
					if err != nil {
						t.Errorf("TryNext: %v", err)
					}
					break
				}
			}
		}
	}()
	// Small writes with pauses, so that most chunks are small enough to offer,
	// then a burst.
	c.send(t, "stdin", `for i in $(seq 1 200); do echo $i; [ $((i % 20)) = 0 ] && sleep 0.01; done; seq 201 3000; echo EN''D`+"\r")
	<-done
	c.SetOffer(nil)

	var want strings.Builder
	for i := 1; i <= 3000; i++ {
		want.WriteString(strconv.Itoa(i) + "\r\n")
	}
	want.WriteString("END\r\n")
	wmu.Lock()
	got, _, _ := strings.Cut(stream.String(), "END\r\n")
	wmu.Unlock()
	if got += "END\r\n"; got != want.String() {
		t.Errorf("the stream differs from the shell's output (%d bytes, want %d); starts %q", len(got), want.Len(), got[:min(len(got), 80)])
	}
	if offered.Load() == 0 || refused.Load() == 0 {
		t.Errorf("offered %d and refused %d chunks; the test needs both", offered.Load(), refused.Load())
	}
}

// A server started with SIGHUP ignored (nohup) still starts shells that a
// hangup ends: the ignore is not passed on.
func TestShellHangupNotIgnored(t *testing.T) {
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Ignore(syscall.SIGHUP)
		t.Cleanup(func() { signal.Reset(syscall.SIGHUP) })
	}
	m := newManager(t, terminal.Options{ShutdownWait: 10 * time.Second})
	name := create(t, m, "")
	c := attach(t, m, name)
	c.send(t, "stdin", "echo PID=$$\r")
	pid := c.until(t, `PID=(\d+)`)[1]
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m2 := regexp.MustCompile(`(?m)^SigIgn:\s*([0-9a-f]+)$`).FindSubmatch(status)
	if m2 == nil {
		t.Fatalf("no SigIgn in %s", status)
	}
	ign, _ := strconv.ParseUint(string(m2[1]), 16, 64)
	if ign&(1<<(syscall.SIGHUP-1)) != 0 {
		t.Errorf("the shell ignores SIGHUP (SigIgn %s)", m2[1])
	}
	start := time.Now()
	if err := m.Delete(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Delete took %v: SIGHUP did not end the shell", d)
	}
}
