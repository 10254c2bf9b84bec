package doctor

import "strings"

// distance is the Levenshtein edit distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// closest returns the name in known nearest to key, compared the way the
// config file matches keys (case and "_" against "-" do not count), or ""
// when none is within a third of the key's length (at least 2 edits).
func closest(key string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	k := norm(key)
	best, bestD := "", max(2, len(k)/3)+1
	for _, n := range known {
		if d := distance(k, norm(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}
