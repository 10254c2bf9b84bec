package nbformat

import (
	"strconv"
	"strings"
	"testing"
)

func TestFootprint(t *testing.T) {
	base := func(data []byte) int64 { return bytesFactor*int64(len(data)) + fixed }
	// Structure inside strings does not count.
	plain := []byte(`{"cells":[{"a":"` + strings.Repeat("x", 1000) + `"}]}`)
	tricky := []byte(`{"cells":[{"a":"` + strings.Repeat(`{[,:\"`, 1000/6) + `"}]}`)
	cell := int64(len(plain) - len(`{"cells":[]}`))
	if f, want := Footprint(plain), base(plain)+perCell+cellBytesFactor*cell+perToken*2; f != want {
		t.Errorf("Footprint(plain) = %d, want %d", f, want)
	}
	cell = int64(len(tricky) - len(`{"cells":[]}`))
	if f, want := Footprint(tricky), base(tricky)+perCell+cellBytesFactor*cell+perToken*2; f != want {
		t.Errorf("Footprint(tricky) = %d, want %d: structure inside a string was counted", f, want)
	}
	if f := Footprint(nil); f != fixed {
		t.Errorf("Footprint(nil) = %d, want %d", f, fixed)
	}
	// One cell is decoded at a time: a thousand outputs in one cell cost
	// more than a thousand cells of one output each.
	out := `{"output_type":"stream","name":"stdout","text":"x"}`
	var many, one strings.Builder
	many.WriteString(`{"cells":[`)
	one.WriteString(`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":[`)
	for i := range 1000 {
		if i > 0 {
			many.WriteByte(',')
			one.WriteByte(',')
		}
		many.WriteString(`{"cell_type":"code","metadata":{},"source":"","outputs":[` + out + `]}`)
		one.WriteString(out)
	}
	many.WriteString(`]}`)
	one.WriteString(`]}]}`)
	a, b := Footprint([]byte(many.String())), Footprint([]byte(one.String()))
	if b-base([]byte(one.String())) < 4*(a-base([]byte(many.String()))) {
		t.Errorf("a thousand cells: %d, one cell of a thousand outputs: %d; want the second's tree to count far more", a, b)
	}
	// Past lazyOutputsMin bytes, a cell's outputs array is decoded one
	// output at a time: the cell counts as the rest of it (9 tokens) and
	// its largest output (6 tokens).
	var lazy strings.Builder
	lazy.WriteString(`{"cells":[{"cell_type":"code","metadata":{},"source":"","outputs":[`)
	n := 0
	for i := 0; n < lazyOutputsMin; i++ {
		if i > 0 {
			lazy.WriteByte(',')
			n++
		}
		lazy.WriteString(out)
		n += len(out)
	}
	lazy.WriteString(`]}]}`)
	n += len(`[]`)
	rest := int64(lazy.Len() - len(`{"cells":[]}`) - n)
	if f, want := Footprint([]byte(lazy.String())), base([]byte(lazy.String()))+perCell+cellBytesFactor*(rest+int64(len(out)))+perToken*(9+6); f != want {
		t.Errorf("Footprint(one cell of %d bytes of outputs) = %d, want %d", n, f, want)
	}
	// Just under it, the array is decoded with its cell.
	under := strings.Replace(lazy.String(), out+",", "", 1)
	if f, whole := Footprint([]byte(under)), footprint([]byte(under), len(under)); f != whole {
		t.Errorf("Footprint of outputs %d bytes long = %d, want the whole cell's %d", n-len(out)-1, f, whole)
	}
	// Every byte counts at least bytesFactor times: the floor holds.
	for _, s := range []string{many.String(), one.String(), `[[[[1]]]]`, `{}`} {
		if f := Footprint([]byte(s)); f < FootprintFloor(int64(len(s))) {
			t.Errorf("Footprint(%.20q) = %d under the floor %d", s, f, FootprintFloor(int64(len(s))))
		}
	}
}

// ReadFor reads a notebook under StreamMin whole and one from StreamMin on
// cell by cell, and FootprintFor charges each what its reader costs.
func TestReadForChoosesByStreamMin(t *testing.T) {
	cell := `{"cell_type":"code","execution_count":1,"id":"%s","metadata":{},"outputs":[],"source":"x = 0"},`
	build := func(size int) []byte {
		var b strings.Builder
		b.WriteString(`{"cells":[`)
		for i := 0; b.Len() < size; i++ {
			b.WriteString(strings.Replace(cell, "%s", "c"+strings.Repeat("0", 8-len(itoa(i)))+itoa(i), 1))
		}
		s := strings.TrimSuffix(b.String(), ",") + `],"metadata":{},"nbformat":4,"nbformat_minor":5}`
		return []byte(s)
	}
	for _, tt := range []struct {
		name   string
		data   []byte
		stream bool
	}{
		{"small", build(64 << 10), false},
		{"just under", build(StreamMin - 200), false},
		{"large", build(StreamMin + 100), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tt.data) >= StreamMin; got != tt.stream {
				t.Fatalf("test notebook of %d bytes is on the wrong side of StreamMin", len(tt.data))
			}
			nb, err := ReadFor(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if nb.CellsApart() != tt.stream {
				t.Errorf("ReadFor of %d bytes: cells apart %v, want %v", len(tt.data), nb.CellsApart(), tt.stream)
			}
			nb2, err := FromJSONFor(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if nb2.CellsApart() != tt.stream {
				t.Errorf("FromJSONFor of %d bytes: cells apart %v, want %v", len(tt.data), nb2.CellsApart(), tt.stream)
			}
			want := FootprintTree(tt.data)
			if tt.stream {
				want = Footprint(tt.data)
			}
			if got := FootprintFor(tt.data); got != want {
				t.Errorf("FootprintFor = %d, want %d", got, want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
