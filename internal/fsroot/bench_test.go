package fsroot_test

import (
	"os"
	"path/filepath"
	"testing"

	"quire/internal/fsroot"
)

// Path resolution on every contents request: cleaning the API path, then
// a stat inside the root (os.Root walks it component by component, so a
// symlink can never lead outside).
func BenchmarkResolve(b *testing.B) {
	dir := b.TempDir()
	deep := filepath.Join(dir, "projects", "2026", "analysis", "data")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "results.ipynb"), []byte("{}"), 0o644); err != nil {
		b.Fatal(err)
	}
	r, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	// The same root guarding Quire's state directories, as app opens it:
	// every path is resolved and its directories compared with them.
	state := b.TempDir()
	pr, err := fsroot.Open(dir, fsroot.Options{Protected: []fsroot.Protected{
		{Dir: filepath.Join(state, "runtime")}, {Dir: filepath.Join(state, "quire")},
		{Dir: state, Prefixes: []string{"notebook_secret", "nbsignatures.db"}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer pr.Close()
	const api = "/projects/2026/analysis/data/results.ipynb"
	b.Run("Clean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fsroot.Clean(api); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CleanStat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := fsroot.Clean(api)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Stat(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CleanStatProtected", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pr.Stat(api); err != nil {
				b.Fatal(err)
			}
		}
	})
}
