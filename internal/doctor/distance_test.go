package doctor

import "testing"

func TestDistanceAndClosest(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"port", "port", 0}, {"prot", "port", 1}, {"por", "port", 1}, {"ca", "abc", 3},
		{"portt", "port", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"abc", "", 3},
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	known := []string{"ip", "port", "port-retries", "base-url", "serverapp.port", "kernel-transport", "allow-origin"}
	for _, tc := range []struct{ key, want string }{
		{"prot", "port"},
		{"PORT_RETRYS", "port-retries"}, // case and _ do not count
		{"base_uri", "base-url"},
		{"ServerApp.prot", "serverapp.port"},
		{"kernel_transprot", "kernel-transport"},
		{"allow_origins", "allow-origin"},
		{"colour_scheme", ""}, // nothing near
		{"x", ""},
	} {
		if got := closest(tc.key, known); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
