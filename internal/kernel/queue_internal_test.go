package kernel

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/kernel/wire"
	"quire/internal/kernel/wire/wiretest"
)

// pushAll pushes msgs (iopub unless on shell) and reports which were refused.
func pushAll(q *connQueue, msgs []*wire.Message) (refused []int) {
	for i, m := range msgs {
		ch := "iopub"
		if m.Type() == "execute_reply" {
			ch = "shell"
		}
		var st *streamText
		if m.Type() == "stream" {
			st = parseStream(m)
		}
		if !q.push(item{ch, m}, st, false) {
			refused = append(refused, i)
		}
	}
	return refused
}

func drain(t *testing.T, q *connQueue) []string {
	t.Helper()
	var got []string
	for {
		it, ok := q.pop()
		if !ok {
			return got
		}
		got = append(got, it.channel+" "+wiretest.Describe(t, it.message()))
	}
}

func TestConnQueueCoalesces(t *testing.T) {
	tests := []struct {
		name string
		in   []*wire.Message
		want []string
	}{{
		name: "same name and parent merge",
		in:   []*wire.Message{wiretest.Stream("A", "stdout", "1\n"), wiretest.Stream("A", "stdout", "2\n"), wiretest.Stream("A", "stdout", "3\n")},
		want: []string{`iopub stream A stdout "1\n2\n3\n"`},
	}, {
		name: "escapes and unicode survive",
		in:   []*wire.Message{wiretest.Stream("A", "stdout", "a\"b\\"), wiretest.Stream("A", "stdout", "\t€😀\u0001</")},
		want: []string{`iopub stream A stdout "a\"b\\\t€😀\x01</"`},
	}, {
		name: "other name, parent or message in between keep order",
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", "1"), wiretest.Stream("A", "stderr", "2"), wiretest.Stream("B", "stderr", "3"),
			wiretest.Status("B", "idle"), wiretest.Stream("B", "stderr", "4"), wiretest.Msg("execute_reply", "B", map[string]any{}),
			wiretest.Stream("B", "stderr", "5"),
		},
		want: []string{
			`iopub stream A stdout "1"`, `iopub stream A stderr "2"`, `iopub stream B stderr "3"`,
			"iopub status B idle", `iopub stream B stderr "4"`, "shell execute_reply B", `iopub stream B stderr "5"`,
		},
	}, {
		name: "other content shapes are not merged",
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", "1"),
			wiretest.Msg("stream", "A", map[string]any{"name": "stdout", "text": "2", "extra": 1}),
		},
		want: []string{`iopub stream A stdout "1"`, `iopub stream A stdout "2"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newConnQueue(len(tt.in), 0)
			if refused := pushAll(q, tt.in); refused != nil {
				t.Fatalf("refused %v", refused)
			}
			if n, _ := q.usage(); n != len(tt.in) {
				t.Errorf("usage counts %d messages, want %d", n, len(tt.in))
			}
			if diff := cmp.Diff(tt.want, drain(t, q)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n, b := q.usage(); n != 0 || b != 0 {
				t.Errorf("usage after draining: %d messages, %d bytes", n, b)
			}
		})
	}
}

func TestConnQueueMergedIsValidJSON(t *testing.T) {
	q := newConnQueue(0, 0)
	pushAll(q, []*wire.Message{wiretest.Stream("A", "stdout", "x\n"), wiretest.Stream("A", "stdout", "y\n")})
	it, _ := q.pop()
	var c map[string]string
	if err := json.Unmarshal(it.message().Content, &c); err != nil || c["text"] != "x\ny\n" || c["name"] != "stdout" || len(c) != 2 {
		t.Errorf("merged content %s: %v", it.message().Content, err)
	}
}

func TestConnQueueCaps(t *testing.T) {
	small := wiretest.Stream("A", "stdout", "x")
	n := msgSize(small)
	big := wiretest.Stream("B", "stdout", strings.Repeat("b", 10*n))
	tests := []struct {
		name             string
		maxMsgs, maxByte int
		in               []*wire.Message
		refused          []int
	}{
		{"message cap counts merged messages", 3, 0, []*wire.Message{small, small, small, small}, []int{3}},
		{"byte cap", 0, 3 * n, []*wire.Message{small, small, small, small}, []int{3}},
		{"an empty queue takes anything", 1, n, []*wire.Message{big, small}, []int{1}},
		{"within the caps", 4, 4 * n, []*wire.Message{small, small, small, small}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newConnQueue(tt.maxMsgs, tt.maxByte)
			if diff := cmp.Diff(tt.refused, pushAll(q, tt.in)); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnQueueMergeBound(t *testing.T) {
	q := newConnQueue(0, 0)
	line := strings.Repeat("a", maxCoalesce/2-10)
	pushAll(q, []*wire.Message{wiretest.Stream("A", "stdout", line), wiretest.Stream("A", "stdout", line), wiretest.Stream("A", "stdout", line)})
	if got := len(drain(t, q)); got != 2 {
		t.Errorf("%d messages, want 2 (merging stops at maxCoalesce)", got)
	}
}
