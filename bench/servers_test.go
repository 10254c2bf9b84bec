package main

import (
	"strings"
	"testing"
)

func TestParseSmapsRollup(t *testing.T) {
	const good = `562cf6097000-7ffe764f8000 ---p 00000000 00:00 0                          [rollup]
Rss:                1672 kB
Pss_File:            350 kB
Anonymous:           116 kB
`
	tests := []struct {
		name      string
		in        string
		rss, anon float64
		err       string
	}{
		{name: "kernel 6 layout", in: good, rss: 1672 * 1024, anon: 116 * 1024},
		{name: "no Anonymous", in: "Rss: 4 kB\n", err: "no Anonymous"},
		{name: "no Rss", in: "Anonymous: 4 kB\n", err: "no Rss"},
		{name: "not kB", in: "Rss: 4 MB\nAnonymous: 1 kB\n", err: "unexpected"},
		{name: "not a number", in: "Rss: x kB\nAnonymous: 1 kB\n", err: "smaps_rollup line"},
		{name: "empty", in: "", err: "no Rss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSmapsRollup([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got["Rss"] != tc.rss || got["Anonymous"] != tc.anon {
				t.Errorf("Rss, Anonymous = %v, %v; want %v, %v", got["Rss"], got["Anonymous"], tc.rss, tc.anon)
			}
		})
	}
}
