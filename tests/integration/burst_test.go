//go:build integration

package integration

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

// burstOutput is what one client received of one execution.
type burstOutput struct {
	stdout   strings.Builder
	stderr   []string
	messages int // stdout stream messages
	err      string
}

// readBurst reads w until the execute_reply (if reply) and the idle status
// for id arrived or d passed, keeping only stream text (the messages
// themselves are dropped as they come: a burst is large).
func readBurst(w *wsClient, id string, reply bool, d time.Duration) *burstOutput {
	o := &burstOutput{}
	deadline := time.Now().Add(d)
	replied, idle := !reply, false
	for !replied || !idle {
		left := time.Until(deadline)
		if left <= 0 {
			o.err = "deadline passed"
			return o
		}
		m, ok := w.next(left)
		if !ok {
			o.err = "socket ended or deadline passed: " + errString(w.err())
			return o
		}
		if m.Parent.MsgID != id {
			continue
		}
		switch {
		case m.Channel == "iopub" && m.Header.MsgType == "stream" && m.str("name") == "stdout":
			o.stdout.WriteString(m.str("text"))
			o.messages++
		case m.Channel == "iopub" && m.Header.MsgType == "stream":
			o.stderr = append(o.stderr, m.str("text"))
		case m.Channel == "iopub" && m.Header.MsgType == "status":
			idle = m.str("execution_state") == "idle"
		case m.Channel == "shell" && m.Header.MsgType == "execute_reply":
			replied = true
		}
	}
	return o
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}

func TestBurst50MBDelivered(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	w := mustDial(t, in, k.ID, wire.NewID(), false)
	begin := time.Now()
	id := w.send("shell", "execute_request", executeContent(
		"import sys\nfor i in range(50): sys.stdout.write('x'*(1<<20)+'\\n'); sys.stdout.flush()", false))
	o := readBurst(w, id, true, 120*time.Second)
	got := o.stdout.String()
	t.Logf("50 MB burst over the WebSocket: %d bytes in %d messages, %v", len(got), o.messages, time.Since(begin))
	if o.err != "" {
		t.Errorf("stopped after %d bytes: %s", len(got), o.err)
	}
	want := strings.Repeat(strings.Repeat("x", 1<<20)+"\n", 50)
	if len(got) != len(want) || got != want {
		t.Errorf("received %d bytes of stdout (%.2f %%), want %d", len(got), 100*float64(len(got))/float64(len(want)), len(want))
	}
	if len(o.stderr) != 0 {
		t.Errorf("stderr: %.300q", o.stderr)
	}
	if r := w.execute("print('still here')", 30*time.Second); r.Stdout != "still here\n" {
		t.Errorf("after the burst: stdout %q", r.Stdout)
	}
}

func TestBurst200kLinesDelivered(t *testing.T) {
	needIPyKernel(t)
	in := startQuire(t, opts{})
	k := startKernel(t, in)
	a := mustDial(t, in, k.ID, wire.NewID(), false)
	b := mustDial(t, in, k.ID, wire.NewID(), false)
	begin := time.Now()
	id := a.send("shell", "execute_request", executeContent("for i in range(200000): print(i)", false))
	var ob *burstOutput
	var wg sync.WaitGroup
	wg.Go(func() { ob = readBurst(b, id, false, 120*time.Second) })
	oa := readBurst(a, id, true, 120*time.Second)
	wg.Wait()
	t.Logf("200k lines over the WebSocket: %d bytes in %d messages, %v", oa.stdout.Len(), oa.messages, time.Since(begin))
	for name, o := range map[string]*burstOutput{"requester": oa, "second client": ob} {
		if o.err != "" {
			t.Errorf("%s: stopped after %d bytes: %s", name, o.stdout.Len(), o.err)
		}
		text := o.stdout.String()
		n := strings.Count(text, "\n") // newline-terminated numbers
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		last := lines[len(lines)-1]
		if n != 200000 || len(lines) != 200000 || last != "199999" {
			t.Errorf("%s: %d lines (%.2f %%), the last %q; want 200000 ending 199999", name, n, float64(n)/2000, last)
			continue
		}
		for i, l := range lines {
			if l != strconv.Itoa(i) {
				t.Errorf("%s: line %d is %q", name, i, l)
				break
			}
		}
		if len(o.stderr) != 0 {
			t.Errorf("%s: stderr %.300q", name, o.stderr)
		}
	}
}
