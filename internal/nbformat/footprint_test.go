package nbformat

import (
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
	// Every byte counts at least bytesFactor times: the floor holds.
	for _, s := range []string{many.String(), one.String(), `[[[[1]]]]`, `{}`} {
		if f := Footprint([]byte(s)); f < FootprintFloor(int64(len(s))) {
			t.Errorf("Footprint(%.20q) = %d under the floor %d", s, f, FootprintFloor(int64(len(s))))
		}
	}
}
