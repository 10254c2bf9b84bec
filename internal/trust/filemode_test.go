//go:build unix

package trust_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"quire/internal/trust"
)

// nbsignatures.db is created 0600 whatever the umask, an existing one
// readable by others is tightened to 0600 with a log line, and SQLite's
// journal beside it gets the same private mode (issue #14 hole 3).
func TestDatabaseFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	nb := mustRead(t, `{"cells":[],"metadata":{"x":1},"nbformat":4,"nbformat_minor":5}`)

	t.Run("new", func(t *testing.T) {
		n := openWithSecret(t, "", trust.Options{})
		if err := n.Sign(nb); err != nil {
			t.Fatal(err)
		}
		wantMode(t, n.DatabasePath(), 0o600)
		// A persistent journal (as another process may leave one) is as
		// private as the database.
		db, err := sql.Open("sqlite", n.DatabasePath()+"?_pragma=journal_mode(persist)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`DELETE FROM nbsignatures`); err != nil {
			t.Fatal(err)
		}
		wantMode(t, n.DatabasePath()+"-journal", 0o600)
	})

	t.Run("existing", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, trust.DatabaseFile)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		n := openWithSecret(t, "", trust.Options{DataDir: dir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err := n.Sign(nb); err != nil {
			t.Fatal(err)
		}
		wantMode(t, p, 0o600)
		if !strings.Contains(logs.String(), "now private") {
			t.Errorf("no log line about tightening the mode: %q", logs.String())
		}
	})
}

func wantMode(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != mode {
		t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode(), mode)
	}
}
