package bytesize

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{1 << 20, "1 MiB"},
		{1<<20 - 1, "1024 KiB"}, // rounds up within the unit, never a wrong unit
		{256 << 20, "256 MiB"},
		{5 << 30, "5 GiB"},
		{1288490189, "1.2 GiB"},
		{3 << 40, "3 TiB"},
		{math.MaxInt64, "8 EiB"},
		{-5, "-5 B"},
	} {
		if got := Format(tt.n); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
