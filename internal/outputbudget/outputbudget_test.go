package outputbudget

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/bytesize"
	"quire/internal/kernel/wire"
	"quire/internal/kernel/wire/wiretest"
)

func testBudget(limit int64, tail int) (*Budget, *[]string) {
	var notices []string
	b := New(limit, tail, func(parent json.RawMessage, text string) (*wire.Message, error) {
		notices = append(notices, text)
		return wire.NewMessage("stream", "server", "u", map[string]string{"name": "stderr", "text": text}, parent)
	})
	return b, &notices
}

// feed runs msgs through b and describes what comes out.
func feed(t *testing.T, b *Budget, msgs []*wire.Message) []string {
	t.Helper()
	var got []string
	for _, m := range msgs {
		p, _ := m.ParseParent()
		var st struct {
			ExecutionState string `json:"execution_state"`
		}
		_ = json.Unmarshal(m.Content, &st)
		for _, o := range b.Filter(m, m.Type(), p.MsgID, m.Type() == "status" && st.ExecutionState == "idle") {
			got = append(got, wiretest.Describe(t, o))
		}
	}
	return got
}

func TestOutputBudget(t *testing.T) {
	ten := func(c byte) string { return strings.Repeat(string(c), 10) }
	size := int64(outputSize(wiretest.Stream("A", "stdout", ten('0')))) // every ten-byte stream
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
			wiretest.Status("A", "busy"), wiretest.Msg("execute_input", "A", map[string]any{"code": "x"}),
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stderr", ten('1')),
			wiretest.Msg("display_data", "A", map[string]any{"data": map[string]string{"text/plain": "1"}}),
			wiretest.Status("A", "idle"),
		},
		want: []string{
			"status A busy", "execute_input A", `stream A stdout "0000000000"`, `stream A stderr "1111111111"`,
			"display_data A", "status A idle",
		},
	}, {
		name: "over budget: one notice and the tail at idle", limit: 2 * size, tail: 15,
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stdout", ten('1')),
			wiretest.Stream("A", "stdout", ten('2')), wiretest.Stream("A", "stdout", ten('3')),
			wiretest.Stream("A", "stdout", ten('4')), wiretest.Status("A", "idle"),
		},
		want: []string{
			`stream A stdout "0000000000"`, `stream A stdout "1111111111"`,
			"notice A", `stream A stdout "333334444444444"`, "status A idle",
		},
		notices: []string{"[Quire: output limit of " + bytesize.Format(2*size) + " for this cell reached; 15 B (1 messages) omitted; the last 15 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "tail keeps separate streams apart", limit: 0, tail: 25,
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stderr", ten('1')),
			wiretest.Stream("A", "stdout", ten('2')), wiretest.Stream("A", "stdout", ten('3')), wiretest.Status("A", "idle"),
		},
		want: []string{"notice A", `stream A stderr "11111"`, `stream A stdout "22222222223333333333"`, "status A idle"},
		notices: []string{"[Quire: output limit of 0 B for this cell reached; 15 B (1 messages) omitted; " +
			"the last 25 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "other cells unaffected", limit: size, tail: 10,
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stdout", ten('1')),
			wiretest.Stream("B", "stdout", ten('2')), wiretest.Stream("A", "stdout", ten('3')),
			wiretest.Status("B", "idle"), wiretest.Status("A", "idle"), wiretest.Stream("A", "stdout", ten('5')),
		},
		want: []string{
			`stream A stdout "0000000000"`, `stream B stdout "2222222222"`, "status B idle",
			"notice A", `stream A stdout "3333333333"`, "status A idle",
			`stream A stdout "5555555555"`, // a new budget after idle
		},
		notices: []string{"[Quire: output limit of " + bytesize.Format(size) + " for this cell reached; 10 B (1 messages) omitted; " +
			"the last 10 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "never omitted", limit: 0, tail: 0,
		in: []*wire.Message{
			wiretest.Status("A", "busy"), wiretest.Msg("execute_input", "A", map[string]any{"code": "x"}),
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Msg("execute_result", "A", map[string]any{}),
			wiretest.Msg("error", "A", map[string]any{"ename": "E", "traceback": []string{"long"}}),
			wiretest.Msg("clear_output", "A", map[string]any{"wait": false}),
			wiretest.Msg("comm_msg", "A", map[string]any{"comm_id": "c"}),
			wiretest.Msg("comm_open", "A", map[string]any{"comm_id": "c"}),
			wiretest.Msg("update_display_data", "A", map[string]any{}),
			wiretest.Status("A", "idle"),
		},
		want: []string{
			"status A busy", "execute_input A", "error A", "clear_output A", "comm_msg A", "comm_open A",
			"notice A", "status A idle",
		},
		notices: []string{"[Quire: output limit of 0 B for this cell reached; 14 B (3 messages) omitted. Raise it with --output-budget.]\n"},
	}, {
		name: "clear_output drops what is held back", limit: size, tail: 100,
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stdout", ten('1')),
			wiretest.Msg("clear_output", "A", map[string]any{"wait": true}),
			wiretest.Stream("A", "stdout", ten('2')), wiretest.Status("A", "idle"),
		},
		want: []string{
			`stream A stdout "0000000000"`, "clear_output A",
			"notice A", `stream A stdout "2222222222"`, "status A idle",
		},
		notices: []string{"[Quire: output limit of " + bytesize.Format(size) + " for this cell reached; 10 B (1 messages) omitted; " +
			"the last 10 B follows. Raise it with --output-budget.]\n"},
	}, {
		name: "display output bigger than the tail is omitted whole", limit: 0, tail: 10,
		in: []*wire.Message{
			wiretest.Msg("display_data", "A", map[string]any{"data": map[string]string{"image/png": strings.Repeat("i", 50)}}),
			wiretest.Status("A", "idle"),
		},
		want: []string{"notice A", "status A idle"},
	}, {
		name: "unlimited", limit: -1, tail: 0,
		in: []*wire.Message{
			wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stdout", ten('1')), wiretest.Status("A", "idle"),
		},
		want: []string{`stream A stdout "0000000000"`, `stream A stdout "1111111111"`, "status A idle"},
	}, {
		name: "output without a parent passes", limit: 0, tail: 0,
		in:   []*wire.Message{wiretest.Stream("", "stdout", ten('0'))},
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
	got := feed(t, b, []*wire.Message{wiretest.Stream("A", "stdout", "aé€😀"), wiretest.Status("A", "idle")})
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
		in = append(in, wiretest.Stream(fmt.Sprintf("c%d", i), "stdout", "x"))
	}
	got := feed(t, b, in)
	if len(b.cells) != maxCells {
		t.Errorf("tracking %d cells, want %d", len(b.cells), maxCells)
	}
	// The five oldest were finished early: a notice and their tail each.
	if len(got) != 10 || len(*notices) != 5 || got[0] != "notice c0" || got[1] != `stream c0 stdout "x"` {
		t.Errorf("delivered %q", got)
	}
	rest := b.FlushAll()
	if len(rest) != 2*maxCells || len(b.cells) != 0 {
		t.Errorf("flushAll returned %d messages, %d cells left", len(rest), len(b.cells))
	}
}

func TestFormatCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {345678, "345,678"}, {1234567, "1,234,567"}, {-1234, "-1234"}} {
		if got := formatCount(tt.n); got != tt.want {
			t.Errorf("formatCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestOnOmit: the hook hears what the notice says was omitted, once per
// execution past its budget, and nothing for one within it.
func TestOnOmit(t *testing.T) {
	ten := func(c byte) string { return strings.Repeat(string(c), 10) }
	size := int64(outputSize(wiretest.Stream("A", "stdout", ten('0'))))
	b, _ := testBudget(2*size, 15)
	type omit struct {
		bytes int64
		msgs  int
	}
	var got []omit
	b.OnOmit = func(bytes int64, msgs int) { got = append(got, omit{bytes, msgs}) }
	feed(t, b, []*wire.Message{
		wiretest.Stream("B", "stdout", ten('0')), wiretest.Status("B", "idle"), // within budget
		wiretest.Stream("A", "stdout", ten('0')), wiretest.Stream("A", "stdout", ten('1')),
		wiretest.Stream("A", "stdout", ten('2')), wiretest.Stream("A", "stdout", ten('3')),
		wiretest.Stream("A", "stdout", ten('4')), wiretest.Status("A", "idle"),
	})
	if diff := cmp.Diff([]omit{{15, 1}}, got, cmp.AllowUnexported(omit{})); diff != "" {
		t.Errorf("OnOmit calls (-want +got):\n%s", diff)
	}
}
