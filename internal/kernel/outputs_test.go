package kernel_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"quire/internal/kernel"
)

// outputLog records what the manager reports to Options.Outputs.
type outputLog struct {
	mu   sync.Mutex
	msgs []string // "type content"
}

func (l *outputLog) RecordOutput(msgType string, content []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, msgType+" "+string(content))
}

func (l *outputLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// TestOutputsRecorded: every rich output a kernel produces is shown to
// Options.Outputs before a client receives it (so a save that follows
// can sign it), with no client connected too; nothing else is.
func TestOutputsRecorded(t *testing.T) {
	needIPyKernel(t)
	var log outputLog
	m := newManager(t, func(o *kernel.Options) { o.Outputs = &log })
	k := start(t, m)
	c := connect(t, k, "s1")
	id := execute(t, c, "from IPython.display import display, HTML\nh = display(HTML('<b>1</b>'), display_id=True)\nh.update(HTML('<b>2</b>'))\nprint('text')\n6*7")
	ctx := ctxT(t, 30*time.Second)
	seen := map[string]bool{}
	for !seen["execute_reply"] {
		ch, msg, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if p, _ := msg.ParseParent(); p.MsgID != id {
			continue
		}
		typ := msg.Type()
		switch typ {
		case "display_data", "update_display_data", "execute_result":
			// Already recorded when it reaches the client.
			found := false
			for _, r := range log.all() {
				found = found || r == typ+" "+string(msg.Content)
			}
			if !found {
				t.Errorf("%s on %s reached the client unrecorded: %s", typ, ch, msg.Content)
			}
		}
		if ch == "shell" {
			typ = "execute_reply"
		}
		seen[typ] = true
	}
	for _, want := range []string{"display_data", "update_display_data", "execute_result", "stream"} {
		if !seen[want] {
			t.Errorf("no %s seen", want)
		}
	}
	var types []string
	for _, r := range log.all() {
		types = append(types, strings.SplitN(r, " ", 2)[0])
	}
	// The display, its update, the result and the execute_reply (for its
	// payloads); not the stream, the status or other shell replies.
	want := map[string]int{"display_data": 1, "update_display_data": 1, "execute_result": 1, "execute_reply": 1}
	got := map[string]int{}
	for _, ty := range types {
		got[ty]++
	}
	for ty, n := range want {
		if got[ty] != n {
			t.Errorf("recorded %d %s, want %d (all: %v)", got[ty], ty, n, types)
		}
	}
	for ty := range got {
		if _, ok := want[ty]; !ok {
			t.Errorf("recorded a %s", ty)
		}
	}
	// With no client connected, output is still recorded (it reaches the
	// client later, from the offline buffer).
	c.Close()
	before := len(log.all())
	c2 := connect(t, k, "s2")
	id = execute(t, c2, "import time; time.sleep(0.5); display(HTML('<i>late</i>'))")
	c2.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var late bool
		for _, r := range log.all()[before:] {
			late = late || strings.HasPrefix(r, "display_data ") && strings.Contains(r, "<i>late</i>")
		}
		if late {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("output produced with no client connected was not recorded (request %s)", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
