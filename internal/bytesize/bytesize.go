// Package bytesize renders byte counts for people, the one way Quire's
// messages (HTTP errors, kernel notices, logs) write a size.
package bytesize

import "strconv"

// Format renders n bytes in binary units with at most one decimal, a
// whole number without it: "512 B", "1 KiB", "1.5 MiB", "2 GiB".
func Format(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + units[i:i+1] + "iB"
}
