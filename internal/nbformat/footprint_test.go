package nbformat

import (
	"strings"
	"testing"
)

func TestFootprint(t *testing.T) {
	// Structure inside strings does not count.
	plain := []byte(`{"a":"` + strings.Repeat("x", 1000) + `"}`)
	tricky := []byte(`{"a":"` + strings.Repeat(`{[,:\"`, 1000/6) + `"}`)
	if f := Footprint(plain); f != 4*int64(len(plain))+128*2+3*2 {
		t.Errorf("Footprint(plain) = %d", f)
	}
	if f, g := Footprint(tricky), 4*int64(len(tricky))+128*2+3*2; f != g {
		t.Errorf("Footprint(tricky) = %d, want %d: structure inside a string was counted", f, g)
	}
	// Many small values cost more than the same bytes in one string.
	var many strings.Builder
	many.WriteString(`{"cells":[`)
	for i := range 1000 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`{"cell_type":"raw","metadata":{},"source":""}`)
	}
	many.WriteString(`]}`)
	one := `{"cells":[{"cell_type":"raw","metadata":{},"source":"` + strings.Repeat("y", many.Len()-60) + `"}]}`
	if a, b := Footprint([]byte(many.String())), Footprint([]byte(one)); a < 2*b {
		t.Errorf("a thousand cells: %d, one cell of the same size: %d; want the first far larger", a, b)
	}
	// Deeper values cost more (indentation when written).
	flat := []byte(`[1,1,1,1,1,1,1,1]`)
	deep := []byte(`[[[[[[[[1]]]]]]]]`)
	if Footprint(deep) <= Footprint(flat) {
		t.Errorf("deep %d ≤ flat %d", Footprint(deep), Footprint(flat))
	}
}
