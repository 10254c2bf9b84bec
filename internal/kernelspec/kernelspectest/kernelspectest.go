// Package kernelspectest writes kernelspec directories for tests.
package kernelspectest

import (
	"os"
	"path/filepath"
	"testing"
)

// Write writes dir/name/kernel.json with the raw JSON kj, plus each of
// files (a resource such as "logo-64x64.png") holding "data of <file>",
// and returns the kernelspec's directory.
func Write(t testing.TB, dir, name, kj string, files ...string) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "kernel.json"), []byte(kj), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(d, f), []byte("data of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}
