package app

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLayering checks the import graph against the house layout: a request
// walks guard → auth → handler, never back, so neither guard nor auth may
// reach httpapi (they write answers through reply), and the leaf packages
// every layer shares import no other Quire package but errkind and
// bytesize.
func TestLayering(t *testing.T) {
	for _, tc := range []struct {
		pkg   string
		never []string // Quire packages pkg must not reach, directly or not
		only  []string // if set, the only Quire packages pkg may reach
	}{
		{pkg: "guard", never: []string{"httpapi", "auth", "webui"}},
		{pkg: "auth", never: []string{"httpapi", "webui"}},
		{pkg: "webui", never: []string{"httpapi", "auth", "guard"}},
		{pkg: "reply", only: []string{"errkind", "bytesize"}},
		{pkg: "bytesize", only: []string{}},
		{pkg: "outputbudget", only: []string{"bytesize", "kernel/wire"}},
		{pkg: "isotime", only: []string{}},
		{pkg: "percent", only: []string{}},
		// The services below the HTTP layer hold their own policy (where a
		// kernel starts, when the signature database opens) and never
		// reach back up to the handlers that use them.
		{pkg: "kernel", never: []string{"httpapi", "session", "contents", "wsbridge", "auth", "guard"}},
		{pkg: "trust", never: []string{"httpapi", "contents", "auth", "guard"}},
	} {
		deps := quireDeps(t, tc.pkg)
		for _, d := range tc.never {
			if slices.Contains(deps, d) {
				t.Errorf("%s reaches %s (deps %v)", tc.pkg, d, deps)
			}
		}
		if tc.only != nil {
			for _, d := range deps {
				if !slices.Contains(tc.only, d) {
					t.Errorf("%s reaches %s; it may reach only %v", tc.pkg, d, tc.only)
				}
			}
		}
	}
}

// quireDeps lists the Quire packages (relative to internal/) that pkg
// imports, directly or not, from its non-test files in the default build.
func quireDeps(t *testing.T, pkg string) []string {
	t.Helper()
	const prefix = "quire/internal/"
	var deps []string
	seen := map[string]bool{}
	var walk func(rel string)
	walk = func(rel string) {
		p, err := build.Default.ImportDir(filepath.Join("..", filepath.FromSlash(rel)), 0)
		if err != nil {
			t.Fatalf("read package %s: %v", rel, err)
		}
		for _, imp := range p.Imports {
			d, ok := strings.CutPrefix(imp, prefix)
			if !ok || seen[d] {
				continue
			}
			seen[d] = true
			deps = append(deps, d)
			walk(d)
		}
	}
	walk(pkg)
	slices.Sort(deps)
	return deps
}
