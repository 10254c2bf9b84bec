package trust_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/trust"
)

// A Lazy touches nothing on disk until a notebook needs it, then behaves as
// the Notary it opens; one that was never used closes without opening.
func TestLazyOpensOnFirstUse(t *testing.T) {
	nb := mustRead(t, `{"cells":[],"metadata":{"lazy":1},"nbformat":4,"nbformat_minor":5}`)
	for _, tc := range []struct {
		name string
		use  func(l *trust.Lazy) error
		open bool // the database exists afterwards
	}{
		{"unused", func(*trust.Lazy) error { return nil }, false},
		{"trusted", func(l *trust.Lazy) error { l.Trusted(nb); return nil }, true},
		{"sign", func(l *trust.Lazy) error { return l.Sign(nb) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			l := trust.OpenLazy(trust.Options{DataDir: dir})
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("OpenLazy created %s (%v)", dir, err)
			}
			if err := tc.use(l); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			_, err := os.Stat(filepath.Join(dir, trust.DatabaseFile))
			if opened := err == nil; opened != tc.open {
				t.Errorf("database opened = %v (%v), want %v", opened, err, tc.open)
			}
			if tc.open {
				n, err := trust.Open(trust.Options{DataDir: dir})
				if err != nil {
					t.Fatal(err)
				}
				defer n.Close()
				if got, want := n.Trusted(nb), tc.name == "sign"; got != want {
					t.Errorf("after %s: trusted = %v, want %v", tc.name, got, want)
				}
			}
			if l.Trusted(nb) || l.Sign(nb) == nil {
				t.Errorf("a closed Lazy still trusts or signs")
			}
		})
	}
}

// When the database cannot be opened, every notebook is untrusted, every
// signing fails with the reason, and the reason is logged once.
func TestLazyUnavailable(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l := trust.OpenLazy(trust.Options{DataDir: filepath.Join(blocker, "data"), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	defer l.Close()
	nb := mustRead(t, `{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
	for range 2 {
		if l.Trusted(nb) {
			t.Error("Trusted = true without a database")
		}
		if err := l.Sign(nb); err == nil || !strings.Contains(err.Error(), "notebook trust") {
			t.Errorf("Sign = %v; want a notebook trust error", err)
		}
	}
	if n := strings.Count(logs.String(), "notebook trust is unavailable"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}
