package kernel

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/kernel/wire"
)

var fakeN int

// fakeMsg builds an iopub message of type typ with parent msg_id parent.
func fakeMsg(typ, parent string, content any) *wire.Message {
	fakeN++
	h, _ := json.Marshal(wire.Header{MsgID: fmt.Sprintf("m%d", fakeN), MsgType: typ, Session: "k"})
	p := json.RawMessage("{}")
	if parent != "" {
		p, _ = json.Marshal(wire.Header{MsgID: parent, MsgType: "execute_request", Session: "client"})
	}
	c, _ := json.Marshal(content)
	return &wire.Message{Header: h, ParentHeader: p, Metadata: json.RawMessage("{}"), Content: c}
}

func fakeStream(parent, name, text string) *wire.Message {
	return fakeMsg("stream", parent, map[string]string{"name": name, "text": text})
}

func fakeStatus(parent, state string) *wire.Message {
	return fakeMsg("status", parent, map[string]string{"execution_state": state})
}

// describe renders a delivered message for comparison: type, parent and,
// for streams, name and text. The budget's notice is "notice".
func describe(t *testing.T, m *wire.Message) string {
	t.Helper()
	p, _ := m.ParseParent()
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatalf("content %q: %v", m.Content, err)
	}
	h, _ := m.ParseHeader()
	if h.Session == "server" {
		return "notice " + p.MsgID
	}
	switch m.Type() {
	case "stream":
		return fmt.Sprintf("stream %s %v %q", p.MsgID, c["name"], c["text"])
	case "status":
		return fmt.Sprintf("status %s %v", p.MsgID, c["execution_state"])
	}
	return m.Type() + " " + p.MsgID
}

func testBudget(limit int64, tail int) (*outputBudget, *[]string) {
	var notices []string
	b := newOutputBudget(limit, tail, func(parent json.RawMessage, text string) (*wire.Message, error) {
		notices = append(notices, text)
		return wire.NewMessage("stream", "server", "u", map[string]string{"name": "stderr", "text": text}, parent)
	})
	return b, &notices
}

// feed runs msgs through b and describes what comes out.
func feed(t *testing.T, b *outputBudget, msgs []*wire.Message) []string {
	t.Helper()
	var got []string
	for _, m := range msgs {
		p, _ := m.ParseParent()
		var st struct {
			ExecutionState string `json:"execution_state"`
		}
		_ = json.Unmarshal(m.Content, &st)
		for _, o := range b.filter(m, m.Type(), p.MsgID, m.Type() == "status" && st.ExecutionState == "idle") {
			got = append(got, describe(t, o))
		}
	}
	return got
}

func TestOutputBudget(t *testing.T) {
	ten := func(c byte) string { return strings.Repeat(string(c), 10) }
	size := int64(outputSize(fakeStream("A", "stdout", ten('0')))) // every ten-byte stream
	tests := []struct {
		name    string
		limit   int64
		tail    int
		in      []*wire.Message
		want    []string
		notices []string
	}{{
		name: "under budget: unchanged", limit: 3 * size, tail: 5,
		in: []*wire.Message{
			fakeStatus("A", "busy"), fakeMsg("execute_input", "A", map[string]any{"code": "x"}),
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stderr", ten('1')),
			fakeMsg("display_data", "A", map[string]any{"data": map[string]string{"text/plain": "1"}}),
			fakeStatus("A", "idle"),
		},
		want: []string{
			"status A busy", "execute_input A", `stream A stdout "0000000000"`, `stream A stderr "1111111111"`,
			"display_data A", "status A idle",
		},
	}, {
		name: "over budget: one notice and the tail at idle", limit: 2 * size, tail: 15,
		in: []*wire.Message{
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stdout", ten('1')),
			fakeStream("A", "stdout", ten('2')), fakeStream("A", "stdout", ten('3')),
			fakeStream("A", "stdout", ten('4')), fakeStatus("A", "idle"),
		},
		want: []string{
			`stream A stdout "0000000000"`, `stream A stdout "1111111111"`,
			"notice A", `stream A stdout "333334444444444"`, "status A idle",
		},
		notices: []string{"[Quire: output limit of " + formatBytes(2*size) + " for this cell reached; 15 B (1 messages) omitted; the last 15 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "tail keeps separate streams apart", limit: 0, tail: 25,
		in: []*wire.Message{
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stderr", ten('1')),
			fakeStream("A", "stdout", ten('2')), fakeStream("A", "stdout", ten('3')), fakeStatus("A", "idle"),
		},
		want: []string{"notice A", `stream A stderr "11111"`, `stream A stdout "22222222223333333333"`, "status A idle"},
		notices: []string{"[Quire: output limit of 0 B for this cell reached; 15 B (1 messages) omitted; " +
			"the last 25 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "other cells unaffected", limit: size, tail: 10,
		in: []*wire.Message{
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stdout", ten('1')),
			fakeStream("B", "stdout", ten('2')), fakeStream("A", "stdout", ten('3')),
			fakeStatus("B", "idle"), fakeStatus("A", "idle"), fakeStream("A", "stdout", ten('5')),
		},
		want: []string{
			`stream A stdout "0000000000"`, `stream B stdout "2222222222"`, "status B idle",
			"notice A", `stream A stdout "3333333333"`, "status A idle",
			`stream A stdout "5555555555"`, // a new budget after idle
		},
		notices: []string{"[Quire: output limit of " + formatBytes(size) + " for this cell reached; 10 B (1 messages) omitted; " +
			"the last 10 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "never omitted", limit: 0, tail: 0,
		in: []*wire.Message{
			fakeStatus("A", "busy"), fakeMsg("execute_input", "A", map[string]any{"code": "x"}),
			fakeStream("A", "stdout", ten('0')), fakeMsg("execute_result", "A", map[string]any{}),
			fakeMsg("error", "A", map[string]any{"ename": "E", "traceback": []string{"long"}}),
			fakeMsg("clear_output", "A", map[string]any{"wait": false}),
			fakeMsg("comm_msg", "A", map[string]any{"comm_id": "c"}),
			fakeMsg("comm_open", "A", map[string]any{"comm_id": "c"}),
			fakeMsg("update_display_data", "A", map[string]any{}),
			fakeStatus("A", "idle"),
		},
		want: []string{
			"status A busy", "execute_input A", "error A", "clear_output A", "comm_msg A", "comm_open A",
			"notice A", "status A idle",
		},
		notices: []string{"[Quire: output limit of 0 B for this cell reached; 14 B (3 messages) omitted. Raise it with --output-budget.]\n"},
	}, {
		name: "clear_output drops what is held back", limit: size, tail: 100,
		in: []*wire.Message{
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stdout", ten('1')),
			fakeMsg("clear_output", "A", map[string]any{"wait": true}),
			fakeStream("A", "stdout", ten('2')), fakeStatus("A", "idle"),
		},
		want: []string{
			`stream A stdout "0000000000"`, "clear_output A",
			"notice A", `stream A stdout "2222222222"`, "status A idle",
		},
		notices: []string{"[Quire: output limit of " + formatBytes(size) + " for this cell reached; 10 B (1 messages) omitted; " +
			"the last 10 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "display output bigger than the tail is omitted whole", limit: 0, tail: 10,
		in: []*wire.Message{
			fakeMsg("display_data", "A", map[string]any{"data": map[string]string{"image/png": strings.Repeat("i", 50)}}),
			fakeStatus("A", "idle"),
		},
		want: []string{"notice A", "status A idle"},
	}, {
		name: "unlimited", limit: -1, tail: 0,
		in: []*wire.Message{
			fakeStream("A", "stdout", ten('0')), fakeStream("A", "stdout", ten('1')), fakeStatus("A", "idle"),
		},
		want: []string{`stream A stdout "0000000000"`, `stream A stdout "1111111111"`, "status A idle"},
	}, {
		name: "output without a parent passes", limit: 0, tail: 0,
		in:   []*wire.Message{fakeStream("", "stdout", ten('0'))},
		want: []string{`stream  stdout "0000000000"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, notices := testBudget(tt.limit, tt.tail)
			got := feed(t, b, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			if tt.notices != nil {
				if diff := cmp.Diff(tt.notices, *notices); diff != "" {
					t.Errorf("notices (-want +got):\n%s", diff)
				}
			}
			if len(b.cells) != 0 && tt.in[len(tt.in)-1].Type() == "status" {
				t.Errorf("%d cells still tracked after idle", len(b.cells))
			}
		})
	}
}

func TestOutputBudgetUnicodeTail(t *testing.T) {
	b, _ := testBudget(0, 4)
	got := feed(t, b, []*wire.Message{fakeStream("A", "stdout", "aé€😀"), fakeStatus("A", "idle")})
	// 😀 is 4 bytes: the cut must not split a rune.
	want := []string{"notice A", `stream A stdout "😀"`, "status A idle"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestOutputBudgetBoundsCells(t *testing.T) {
	b, notices := testBudget(0, 10)
	var in []*wire.Message
	for i := range maxCells + 5 {
		in = append(in, fakeStream(fmt.Sprintf("c%d", i), "stdout", "x"))
	}
	got := feed(t, b, in)
	if len(b.cells) != maxCells {
		t.Errorf("tracking %d cells, want %d", len(b.cells), maxCells)
	}
	// The five oldest were finished early: a notice and their tail each.
	if len(got) != 10 || len(*notices) != 5 || got[0] != "notice c0" || got[1] != `stream c0 stdout "x"` {
		t.Errorf("delivered %q", got)
	}
	rest := b.flushAll()
	if len(rest) != 2*maxCells || len(b.cells) != 0 {
		t.Errorf("flushAll returned %d messages, %d cells left", len(rest), len(b.cells))
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"}, {256 << 20, "256 MiB"}, {1288490189, "1.2 GiB"}} {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {345678, "345,678"}, {1234567, "1,234,567"}} {
		if got := formatCount(tt.n); got != tt.want {
			t.Errorf("formatCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
