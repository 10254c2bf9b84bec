// Package storetest is the behavioural contract every contents.Store must
// meet. Each backend's tests call Run with a constructor for an empty
// store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/errkind"
)

// Run runs the conformance suite; newStore returns an empty store.
func Run(t *testing.T, newStore func(t *testing.T) contents.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s contents.Store)
	}{
		{"StatMissing", testStatMissing},
		{"WriteRead", testWriteRead},
		{"WriteReplaces", testWriteReplaces},
		{"FailedWriteKeepsOld", testFailedWriteKeepsOld},
		{"WriteNeedsParent", testWriteNeedsParent},
		{"WriteOverDirectory", testWriteOverDirectory},
		{"Append", testAppend},
		{"Mkdir", testMkdir},
		{"List", testList},
		{"Rename", testRename},
		{"Remove", testRemove},
		{"Trash", testTrash},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

func write(t *testing.T, s contents.Store, p, data string) contents.Info {
	t.Helper()
	info, err := s.Write(ctx, p, strings.NewReader(data))
	if err != nil {
		t.Fatalf("Write(%q): %v", p, err)
	}
	return info
}

func read(t *testing.T, s contents.Store, p string) string {
	t.Helper()
	f, _, err := s.Open(ctx, p)
	if err != nil {
		t.Fatalf("Open(%q): %v", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %q: %v", p, err)
	}
	return string(b)
}

func mkdir(t *testing.T, s contents.Store, p string) {
	t.Helper()
	if err := s.Mkdir(ctx, p); err != nil {
		t.Fatalf("Mkdir(%q): %v", p, err)
	}
}

func wantKind(t *testing.T, what string, err error, k errkind.Kind) {
	t.Helper()
	if errkind.Of(err) != k || err == nil {
		t.Errorf("%s: err = %v (kind %v), want kind %v", what, err, errkind.Of(err), k)
	}
}

func testStatMissing(t *testing.T, s contents.Store) {
	_, err := s.Stat(ctx, "nope")
	wantKind(t, "Stat(nope)", err, errkind.NotFound)
	_, _, err = s.Open(ctx, "nope/x")
	wantKind(t, "Open(nope/x)", err, errkind.NotFound)
	root, err := s.Stat(ctx, "")
	if err != nil || !root.Dir {
		t.Errorf("Stat(root) = %+v, %v; want a directory", root, err)
	}
}

func testWriteRead(t *testing.T, s contents.Store) {
	info := write(t, s, "a.txt", "hello")
	if info.Name != "a.txt" || info.Dir || info.Size != 5 || info.ModTime.IsZero() {
		t.Errorf("Write info = %+v", info)
	}
	if got := read(t, s, "a.txt"); got != "hello" {
		t.Errorf("read = %q", got)
	}
	st, err := s.Stat(ctx, "a.txt")
	if err != nil || st.Size != 5 || st.Dir {
		t.Errorf("Stat = %+v, %v", st, err)
	}
	write(t, s, "empty", "")
	if got := read(t, s, "empty"); got != "" {
		t.Errorf("empty file = %q", got)
	}
	big := bytes.Repeat([]byte("0123456789"), 300000)
	if _, err := s.Write(ctx, "big.bin", bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "big.bin"); got != string(big) {
		t.Errorf("big file differs (len %d)", len(got))
	}
}

func testWriteReplaces(t *testing.T, s contents.Store) {
	write(t, s, "a.txt", "first version, long")
	write(t, s, "a.txt", "second")
	if got := read(t, s, "a.txt"); got != "second" {
		t.Errorf("after replace = %q", got)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		n := min(len(p), f.n)
		copy(p, bytes.Repeat([]byte("x"), n))
		f.n -= n
		return n, nil
	}
	return 0, errors.New("client went away")
}

func testFailedWriteKeepsOld(t *testing.T, s contents.Store) {
	write(t, s, "a.txt", "old")
	if _, err := s.Write(ctx, "a.txt", &failingReader{n: 100000}); err == nil {
		t.Fatal("Write with a failing reader succeeded")
	}
	if got := read(t, s, "a.txt"); got != "old" {
		t.Errorf("after failed write = %q, want old", got)
	}
	entries, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("failed write left entries: %+v", entries)
	}
	if _, err := s.Write(ctx, "new.txt", &failingReader{}); err == nil {
		t.Fatal("Write with a failing reader succeeded")
	}
	_, err = s.Stat(ctx, "new.txt")
	wantKind(t, "Stat after failed create", err, errkind.NotFound)
}

func testWriteNeedsParent(t *testing.T, s contents.Store) {
	_, err := s.Write(ctx, "no/such/dir.txt", strings.NewReader("x"))
	wantKind(t, "Write into a missing directory", err, errkind.NotFound)
	_, err = s.Append(ctx, "no/such/dir.txt", strings.NewReader("x"))
	wantKind(t, "Append into a missing directory", err, errkind.NotFound)
}

func testWriteOverDirectory(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	_, err := s.Write(ctx, "d", strings.NewReader("x"))
	wantKind(t, "Write over a directory", err, errkind.Invalid)
	if info, err := s.Stat(ctx, "d"); err != nil || !info.Dir {
		t.Errorf("directory damaged: %+v, %v", info, err)
	}
}

func testAppend(t *testing.T, s contents.Store) {
	if _, err := s.Append(ctx, "log", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Append(ctx, "log", strings.NewReader("bc"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 3 {
		t.Errorf("Append info size = %d", info.Size)
	}
	if got := read(t, s, "log"); got != "abc" {
		t.Errorf("appended = %q", got)
	}
}

func testMkdir(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	mkdir(t, s, "d/e")
	wantKind(t, "Mkdir existing", s.Mkdir(ctx, "d"), errkind.Conflict)
	wantKind(t, "Mkdir without parent", s.Mkdir(ctx, "x/y"), errkind.NotFound)
	info, err := s.Stat(ctx, "d/e")
	if err != nil || !info.Dir || info.Name != "e" {
		t.Errorf("Stat(d/e) = %+v, %v", info, err)
	}
}

func testList(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	write(t, s, "d/b.txt", "bb")
	write(t, s, "d/a.txt", "a")
	mkdir(t, s, "d/sub")
	write(t, s, "d/.hidden", "h")
	entries, err := s.List(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
		if e.Name == "b.txt" && (e.Size != 2 || e.Dir) {
			t.Errorf("entry b.txt = %+v", e)
		}
		if e.Name == "sub" && !e.Dir {
			t.Errorf("entry sub = %+v", e)
		}
	}
	slices.Sort(names)
	if want := []string{".hidden", "a.txt", "b.txt", "sub"}; !slices.Equal(names, want) {
		t.Errorf("List = %q, want %q (the store lists hidden names; the service filters)", names, want)
	}
	_, err = s.List(ctx, "missing")
	wantKind(t, "List(missing)", err, errkind.NotFound)
}

func testRename(t *testing.T, s contents.Store) {
	write(t, s, "a", "A")
	mkdir(t, s, "d")
	if err := s.Rename(ctx, "a", "d/b"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "d/b"); got != "A" {
		t.Errorf("renamed content = %q", got)
	}
	_, err := s.Stat(ctx, "a")
	wantKind(t, "Stat(old name)", err, errkind.NotFound)
	write(t, s, "c", "C")
	if err := s.Rename(ctx, "c", "d/b"); err != nil {
		t.Fatalf("Rename over a file: %v", err)
	}
	if got := read(t, s, "d/b"); got != "C" {
		t.Errorf("after replacing rename = %q", got)
	}
	if err := s.Rename(ctx, "d", "e"); err != nil {
		t.Fatalf("Rename directory: %v", err)
	}
	if got := read(t, s, "e/b"); got != "C" {
		t.Errorf("after directory rename = %q", got)
	}
	wantKind(t, "Rename missing", s.Rename(ctx, "nope", "x"), errkind.NotFound)
	wantKind(t, "Rename into missing dir", s.Rename(ctx, "e/b", "no/x"), errkind.NotFound)
}

func testRemove(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	mkdir(t, s, "d/e")
	write(t, s, "d/e/f", "x")
	write(t, s, "g", "x")
	for _, p := range []string{"g", "d"} {
		if err := s.Remove(ctx, p); err != nil {
			t.Fatalf("Remove(%q): %v", p, err)
		}
		_, err := s.Stat(ctx, p)
		wantKind(t, "Stat after Remove", err, errkind.NotFound)
	}
	wantKind(t, "Remove missing", s.Remove(ctx, "nope"), errkind.NotFound)
	if err := s.Remove(ctx, ""); err == nil {
		t.Error("Remove(root) succeeded")
	}
}

func testTrash(t *testing.T, s contents.Store) {
	write(t, s, "a", "x")
	err := s.Trash(ctx, "a")
	if errkind.Is(err, errkind.Unavailable) {
		t.Skip("store has no trash")
	}
	if err != nil {
		t.Fatalf("Trash: %v", err)
	}
	_, err = s.Stat(ctx, "a")
	wantKind(t, "Stat after Trash", err, errkind.NotFound)
	wantKind(t, "Trash missing", s.Trash(ctx, "a"), errkind.NotFound)
}
