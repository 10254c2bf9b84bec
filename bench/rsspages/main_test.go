package main

import (
	"debug/elf"
	"os"
	"testing"
)

func TestPackageOf(t *testing.T) {
	for _, tc := range []struct{ sym, want string }{
		{"net/http.(*conn).serve", "net/http"},
		{"runtime.mallocgc", "runtime"},
		{"quire/internal/metrics.(*Registry).WriteTo.func1", "quire/internal/metrics"},
		{"github.com/minio/minio-go/v7.(*Client).PutObject", "github.com/minio/minio-go/v7"},
		{"go.yaml.in/yaml/v3.unmarshal", "go.yaml.in/yaml/v3"},
		{"gopkg.in/yaml%2ev3.unmarshal", "gopkg.in/yaml%2ev3"}, // the linker escapes dots in the last element
		{"type:*net/http.Request", "type:"},
		{"go:itab.*os.File,io.Reader", "go:itab"},
		{"main.main", "main"},
		{"_rt0_amd64_linux", "_rt0_amd64_linux"},
	} {
		if got := packageOf(tc.sym); got != tc.want {
			t.Errorf("packageOf(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

// TestPclntabParts reads this test binary's own .gopclntab header: five
// tables, in order, inside the section.
func TestPclntabParts(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Skipf("not an ELF executable: %v", err)
	}
	defer f.Close()
	sec := f.Section(".gopclntab")
	if sec == nil {
		t.Skip("no .gopclntab section")
	}
	parts := pclntabParts(f)
	if len(parts) != 5 {
		t.Fatalf("%d parts, want 5: %+v", len(parts), parts)
	}
	prev := sec.Addr
	for _, p := range parts {
		if p.start < prev || p.end < p.start || p.end > sec.Addr+sec.Size {
			t.Errorf("%s: [%#x, %#x) out of order or outside [%#x, %#x)", p.pkg, p.start, p.end, sec.Addr, sec.Addr+sec.Size)
		}
		prev = p.end
	}
	if last := parts[4]; last.pkg != ".gopclntab functab" || last.end != sec.Addr+sec.Size {
		t.Errorf("last part %+v, want the function table to the section's end", last)
	}
}
