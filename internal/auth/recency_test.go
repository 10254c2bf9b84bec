package auth

import (
	"slices"
	"testing"
)

func TestRecencyMap(t *testing.T) {
	keys := func(m *recencyMap[int]) []string {
		var ks []string
		for e := m.order.Front(); e != nil; e = e.Next() {
			ks = append(ks, e.Value.(*recencyEntry[int]).key)
		}
		return ks
	}
	all := func(int) bool { return true }
	for _, tt := range []struct {
		name string
		ops  func(m *recencyMap[int])
		want []string // least recently used first
	}{
		{"adds in order", func(m *recencyMap[int]) { m.add("a", 1); m.add("b", 2) }, []string{"a", "b"}},
		{"full: the least recently used goes", func(m *recencyMap[int]) { m.add("a", 1); m.add("b", 2); m.add("c", 3); m.add("d", 4) }, []string{"b", "c", "d"}},
		{"touch saves an entry from eviction", func(m *recencyMap[int]) {
			m.add("a", 1)
			m.add("b", 2)
			m.add("c", 3)
			m.touch("a")
			m.add("d", 4)
		}, []string{"c", "a", "d"}},
		{"re-adding replaces, not duplicates", func(m *recencyMap[int]) { m.add("a", 1); m.add("b", 2); m.add("a", 5) }, []string{"b", "a"}},
		{"remove and touch of a missing key", func(m *recencyMap[int]) { m.add("a", 1); m.remove("a"); m.remove("x"); m.touch("x") }, nil},
		{"lookup forgets what keep refuses", func(m *recencyMap[int]) {
			m.add("a", 1)
			m.add("b", 2)
			if _, ok := m.lookup("a", func(v int) bool { return v > 1 }); ok {
				t.Error("lookup returned an entry keep refused")
			}
		}, []string{"b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newRecencyMap[int](3)
			tt.ops(m)
			if got := keys(m); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
			if m.len() != len(tt.want) || len(m.entries) != m.order.Len() {
				t.Errorf("len %d, map %d, list %d; want %d", m.len(), len(m.entries), m.order.Len(), len(tt.want))
			}
			for _, k := range tt.want {
				if _, ok := m.lookup(k, all); !ok {
					t.Errorf("lookup(%q) missed", k)
				}
			}
		})
	}
}
