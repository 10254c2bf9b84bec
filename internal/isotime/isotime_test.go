package isotime_test

import (
	"testing"
	"time"

	"quire/internal/isotime"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"},
		{"2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.123456Z"},
		{"2024-05-01T10:00:00.000000999Z", "2024-05-01T10:00:00Z"},
		{"2024-05-01T10:00:00.000001Z", "2024-05-01T10:00:00.000001Z"},
		{"2024-05-01T12:00:00.5+02:00", "2024-05-01T10:00:00.500000Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
	} {
		tm, err := time.Parse(time.RFC3339Nano, tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := isotime.Format(tm); got != tc.want {
			t.Errorf("Format(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
