package main

import (
	"encoding/json"
	"math"
	"testing"
)

// TestMarkMedian reads bench-compare.mjs's JSON as the scenario does: the
// right mark of the right load, runs that never reached it left out.
func TestMarkMedian(t *testing.T) {
	const out = `[
		{"cold": {"first": 100, "text": 50, "all": 300}, "warm": {"first": 10, "text": 5, "all": 30}},
		{"cold": {"first": 200, "text": 60, "all": null}, "warm": {"first": 20, "text": 6, "all": 40}},
		{"cold": {"first": 400, "text": 70, "all": 500}, "warm": {"first": null, "text": null, "all": null}}
	]`
	var runs []compareRun
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		warm bool
		mk   compareMarkKind
		want float64
	}{
		{false, markFirst, 200},
		{false, markText, 60},
		{false, markAll, 400},
		{true, markFirst, 15},
		{true, markText, 5.5},
		{true, markAll, 35},
	} {
		if got := markMedian(runs, tc.warm, tc.mk); got != tc.want {
			t.Errorf("markMedian(warm=%v, %v) = %v, want %v", tc.warm, tc.mk, got, tc.want)
		}
	}
	if got := markMedian(nil, false, markAll); !math.IsNaN(got) {
		t.Errorf("markMedian(no runs) = %v, want NaN", got)
	}
}
