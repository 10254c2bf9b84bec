package kernel_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/kernel"
)

// output is what one execution printed, as one Conn received it.
type output struct {
	stdout   bytes.Buffer
	stderr   []string // each stderr stream message
	atNotice int      // stdout bytes received before the first stderr message
	messages int      // stream messages received
}

// readOutput reads c until msgID's execute_reply (if reply) and idle
// status, gathering its stream output without quadratic copying.
func readOutput(t *testing.T, c *kernel.Conn, msgID string, reply bool, d time.Duration) *output {
	t.Helper()
	ctx := ctxT(t, d)
	o := &output{atNotice: -1}
	replied, idle := !reply, false
	for !replied || !idle {
		ch, m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv after %d bytes of stdout: %v", o.stdout.Len(), err)
		}
		if p, _ := m.ParseParent(); p.MsgID != msgID {
			continue
		}
		switch {
		case ch == "iopub" && m.Type() == "stream":
			var s struct{ Name, Text string }
			if err := json.Unmarshal(m.Content, &s); err != nil {
				t.Fatalf("stream content: %v", err)
			}
			o.messages++
			if s.Name == "stdout" {
				o.stdout.WriteString(s.Text)
			} else {
				if o.atNotice < 0 {
					o.atNotice = o.stdout.Len()
				}
				o.stderr = append(o.stderr, s.Text)
			}
		case ch == "iopub" && m.Type() == "status":
			idle = bytes.Contains(m.Content, []byte(`"idle"`))
		case ch == "shell" && m.Type() == "execute_reply":
			replied = true
		}
	}
	return o
}

func TestBurst50MB(t *testing.T) {
	needIPyKernel(t)
	m := newManager(t, nil)
	k := start(t, m)
	c := connect(t, k, "reader")
	begin := time.Now()
	id := execute(t, c, "import sys\nfor i in range(50): sys.stdout.write('x'*(1<<20)+'\\n'); sys.stdout.flush()")
	o := readOutput(t, c, id, true, 120*time.Second)
	t.Logf("50 MB burst: %d bytes in %d messages, %v", o.stdout.Len(), o.messages, time.Since(begin))
	want := strings.Repeat(strings.Repeat("x", 1<<20)+"\n", 50)
	if o.stdout.Len() != len(want) || o.stdout.String() != want {
		t.Errorf("got %d bytes of stdout, want %d", o.stdout.Len(), len(want))
	}
	if len(o.stderr) != 0 {
		t.Errorf("stderr: %q", o.stderr)
	}
}

func TestBurstShortLines(t *testing.T) {
	needIPyKernel(t)
	m := newManager(t, nil)
	k := start(t, m)
	a := connect(t, k, "a")
	b := connect(t, k, "b")
	begin := time.Now()
	id := execute(t, a, "for i in range(200000): print(i)")
	var ob *output
	var wg sync.WaitGroup
	wg.Go(func() { ob = readOutput(t, b, id, false, 120*time.Second) })
	oa := readOutput(t, a, id, true, 120*time.Second)
	wg.Wait()
	t.Logf("200k lines: %d bytes in %d messages, %v", oa.stdout.Len(), oa.messages, time.Since(begin))
	for name, o := range map[string]*output{"a": oa, "b": ob} {
		if o == nil {
			continue // readOutput already failed
		}
		lines := strings.Split(o.stdout.String(), "\n")
		if last := lines[len(lines)-1]; last != "" {
			t.Errorf("%s: output ends without a newline: %q", name, last)
		}
		lines = lines[:len(lines)-1]
		if len(lines) != 200000 || lines[len(lines)-1] != "199999" {
			t.Errorf("%s: %d lines, the last %q; want 200000 ending 199999", name, len(lines), lines[len(lines)-1])
			continue
		}
		for i, l := range lines {
			if l != strconv.Itoa(i) {
				t.Errorf("%s: line %d is %q", name, i, l)
				break
			}
		}
	}
}

func TestOutputBudgetKeepsTail(t *testing.T) {
	needIPyKernel(t)
	const budget, tail = 1 << 20, 64 << 10
	m := newManager(t, func(o *kernel.Options) { o.OutputBudget, o.OutputTail = budget, tail })
	k := start(t, m)
	c := connect(t, k, "s")
	id := execute(t, c, "import sys\nfor i in range(8): sys.stdout.write(str(i)*(512*1024)+'\\n'); sys.stdout.flush()")
	o := readOutput(t, c, id, true, 60*time.Second)
	var full strings.Builder
	for i := range 8 {
		full.WriteString(strings.Repeat(strconv.Itoa(i), 512*1024) + "\n")
	}
	got, want := o.stdout.String(), full.String()
	if len(o.stderr) != 1 || !strings.Contains(o.stderr[0], "output limit of 1 MiB for this cell reached") ||
		!strings.Contains(o.stderr[0], "omitted; the last 64 KiB follows") {
		t.Fatalf("stderr: %q", o.stderr)
	}
	t.Logf("notice: %s", o.stderr[0])
	head, rest := got[:o.atNotice], got[o.atNotice:]
	if !strings.HasPrefix(want, head) || len(head) > budget {
		t.Errorf("before the notice: %d bytes, a prefix: %v", len(head), strings.HasPrefix(want, head))
	}
	if rest != want[len(want)-tail:] {
		t.Errorf("after the notice: %d bytes, want the last %d of the output", len(rest), tail)
	}
	if r := collect(t, c, execute(t, c, "print(1)"), 20*time.Second, nil); r.stdout != "1\n" {
		t.Errorf("after the burst: %+v", r)
	}
}
