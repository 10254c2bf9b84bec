package doctor

import "strings"

// distance is the optimal-string-alignment edit distance between a and b,
// in bytes: insertions, deletions, substitutions and transpositions of two
// neighbours ("prot" → "port") each cost one.
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// closest returns the name in known nearest to key, compared the way the
// config file matches keys (case and "_" against "-" do not count), or ""
// when none is within a third of the key's length (at least one edit, and
// fewer edits than the key has letters).
func closest(key string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	k := norm(key)
	best, bestD := "", min(max(1, len(k)/3), len(k)-1)+1
	for _, n := range known {
		if d := distance(k, norm(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
