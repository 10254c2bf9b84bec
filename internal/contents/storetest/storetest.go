// Package storetest is the behavioural contract every contents.Store must
// meet. Each backend's tests call Run with a constructor for an empty
// store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

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
		{"Clean", testClean},
		{"EmptyDirectory", testEmptyDirectory},
		{"WriteUnderFile", testWriteUnderFile},
		{"ModTimeAdvances", testModTimeAdvances},
		{"OpenSeek", testOpenSeek},
		{"OpenDirectory", testOpenDirectory},
		{"Names", testNames},
		{"ListPaginates", testListPaginates},
		{"RemoveKeepsSiblings", testRemoveKeepsSiblings},
		{"RenameKeepsSiblings", testRenameKeepsSiblings},
		{"RenameDirectoryDeep", testRenameDirectoryDeep},
		{"TrashDirectory", testTrashDirectory},
		{"Checkpoints", testCheckpoints},
		{"ConditionalWrite", testConditionalWrite},
		{"Multipart", testMultipart},
		{"MultipartAbort", testMultipartAbort},
		{"MultipartGuarded", testMultipartGuarded},
		{"Copy", testCopy},
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

func names(t *testing.T, s contents.Store, dir string) []string {
	t.Helper()
	entries, err := s.List(ctx, dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name
		if e.Dir {
			n += "/"
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func testClean(t *testing.T, s contents.Store) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"/", ""}, {"a", "a"}, {"/a/b/", "a/b"}, {"a//b/./c", "a/b/c"},
	} {
		if got, err := s.Clean(tc.in); err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"..", "a/../../b", "../x", "a\x00b"} {
		_, err := s.Clean(bad)
		wantKind(t, "Clean("+bad+")", err, errkind.NotFound)
	}
}

func testEmptyDirectory(t *testing.T, s contents.Store) {
	mkdir(t, s, "empty")
	mkdir(t, s, "empty/inner")
	if got := names(t, s, "empty/inner"); len(got) != 0 {
		t.Errorf("List(empty dir) = %q", got)
	}
	if got := names(t, s, "empty"); !slices.Equal(got, []string{"inner/"}) {
		t.Errorf("List(empty) = %q, want [inner/]", got)
	}
	if got := names(t, s, ""); !slices.Equal(got, []string{"empty/"}) {
		t.Errorf("List(root) = %q, want [empty/]", got)
	}
	// Emptying a directory keeps it.
	write(t, s, "empty/inner/f", "x")
	if err := s.Remove(ctx, "empty/inner/f"); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(ctx, "empty/inner"); err != nil || !info.Dir {
		t.Errorf("emptied directory: %+v, %v; want it kept", info, err)
	}
	if got := names(t, s, "empty/inner"); len(got) != 0 {
		t.Errorf("List(emptied dir) = %q", got)
	}
}

func testWriteUnderFile(t *testing.T, s contents.Store) {
	write(t, s, "f", "x")
	_, err := s.Write(ctx, "f/g", strings.NewReader("y"))
	wantKind(t, "Write under a file", err, errkind.NotFound)
	wantKind(t, "Mkdir under a file", s.Mkdir(ctx, "f/d"), errkind.NotFound)
	wantKind(t, "Mkdir over a file", s.Mkdir(ctx, "f"), errkind.Conflict)
	_, err = s.List(ctx, "f")
	if err == nil {
		t.Error("List(file) succeeded")
	}
	if got := read(t, s, "f"); got != "x" {
		t.Errorf("file damaged: %q", got)
	}
}

func testModTimeAdvances(t *testing.T, s contents.Store) {
	first := write(t, s, "m", "1")
	time.Sleep(1100 * time.Millisecond) // S3 times have second precision
	second := write(t, s, "m", "22")
	if !second.ModTime.After(first.ModTime) {
		t.Errorf("ModTime %v after rewrite, was %v", second.ModTime, first.ModTime)
	}
	if second.Size != 2 {
		t.Errorf("Size = %d", second.Size)
	}
	if first.Version != "" && first.Version == second.Version {
		t.Errorf("Version unchanged by a rewrite: %q", first.Version)
	}
	st, err := s.Stat(ctx, "m")
	if err != nil || st.Version != second.Version || !st.ModTime.Equal(second.ModTime) {
		t.Errorf("Stat = %+v, %v; Write said %+v", st, err, second)
	}
}

func testOpenSeek(t *testing.T, s contents.Store) {
	data := strings.Repeat("0123456789", 1000)
	write(t, s, "r", data)
	f, info, err := s.Open(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if info.Size != int64(len(data)) || info.Name != "r" {
		t.Errorf("Open info = %+v", info)
	}
	if _, err := f.Seek(5005, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 7)
	if _, err := io.ReadFull(f, b); err != nil || string(b) != "5678901" {
		t.Errorf("read after seek = %q, %v", b, err)
	}
	if n, err := f.Seek(-3, io.SeekEnd); err != nil || n != int64(len(data)-3) {
		t.Fatalf("Seek end = %d, %v", n, err)
	}
	rest, _ := io.ReadAll(f)
	if string(rest) != "789" {
		t.Errorf("tail = %q", rest)
	}
}

func testOpenDirectory(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	_, _, err := s.Open(ctx, "d")
	wantKind(t, "Open(directory)", err, errkind.Invalid)
}

func testNames(t *testing.T, s contents.Store) {
	for _, n := range []string{"with space.txt", "ünïcödé.ipynb", "a+b=c&d.txt", "percent%20.txt", "日本語", "x#y?z"} {
		write(t, s, n, n)
		if got := read(t, s, n); got != n {
			t.Errorf("read %q = %q", n, got)
		}
		if info, err := s.Stat(ctx, n); err != nil || info.Name != n {
			t.Errorf("Stat(%q) = %+v, %v", n, info, err)
		}
	}
	if got := names(t, s, ""); len(got) != 6 {
		t.Errorf("List = %q", got)
	}
}

func testListPaginates(t *testing.T, s contents.Store) {
	if testing.Short() {
		t.Skip("writes 1050 files")
	}
	mkdir(t, s, "many")
	const n = 1050 // past S3's 1000 keys a page
	for i := range n {
		write(t, s, fmt.Sprintf("many/f%04d", i), "x")
	}
	got := names(t, s, "many")
	if len(got) != n || got[0] != "f0000" || got[n-1] != fmt.Sprintf("f%04d", n-1) {
		t.Errorf("List found %d entries, want %d", len(got), n)
	}
}

func testRemoveKeepsSiblings(t *testing.T, s contents.Store) {
	for _, d := range []string{"d", "dx", "d.x"} {
		mkdir(t, s, d)
		write(t, s, d+"/f", d)
	}
	write(t, s, "d-file", "keep")
	if err := s.Remove(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, ""); !slices.Equal(got, []string{"d-file", "d.x/", "dx/"}) {
		t.Errorf("after Remove(d): %q", got)
	}
	if got := read(t, s, "dx/f"); got != "dx" {
		t.Errorf("dx/f = %q", got)
	}
}

func testRenameKeepsSiblings(t *testing.T, s contents.Store) {
	for _, d := range []string{"d", "dx"} {
		mkdir(t, s, d)
		write(t, s, d+"/f", d)
	}
	if err := s.Rename(ctx, "d", "e"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, ""); !slices.Equal(got, []string{"dx/", "e/"}) {
		t.Errorf("after Rename(d, e): %q", got)
	}
	if got := read(t, s, "e/f"); got != "d" {
		t.Errorf("e/f = %q", got)
	}
}

func testRenameDirectoryDeep(t *testing.T, s contents.Store) {
	mkdir(t, s, "a")
	mkdir(t, s, "a/b")
	mkdir(t, s, "a/b/empty")
	write(t, s, "a/b/c.txt", "c")
	write(t, s, "a/top", "t")
	if err := s.Rename(ctx, "a", "z"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, "z"); !slices.Equal(got, []string{"b/", "top"}) {
		t.Errorf("List(z) = %q", got)
	}
	if got := names(t, s, "z/b"); !slices.Equal(got, []string{"c.txt", "empty/"}) {
		t.Errorf("List(z/b) = %q", got)
	}
	if got := read(t, s, "z/b/c.txt"); got != "c" {
		t.Errorf("z/b/c.txt = %q", got)
	}
	_, err := s.Stat(ctx, "a")
	wantKind(t, "Stat(a) after rename", err, errkind.NotFound)
	mkdir(t, s, "empty2")
	if err := s.Rename(ctx, "empty2", "z/b/moved"); err != nil {
		t.Fatalf("Rename an empty directory: %v", err)
	}
	if info, err := s.Stat(ctx, "z/b/moved"); err != nil || !info.Dir {
		t.Errorf("moved empty directory: %+v, %v", info, err)
	}
}

func testTrashDirectory(t *testing.T, s contents.Store) {
	mkdir(t, s, "d")
	write(t, s, "d/f", "x")
	err := s.Trash(ctx, "d")
	if errkind.Is(err, errkind.Unavailable) {
		t.Skip("store has no trash")
	}
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Stat(ctx, "d")
	wantKind(t, "Stat after Trash", err, errkind.NotFound)
	if got := names(t, s, ""); len(got) != 0 {
		t.Errorf("root after trashing everything = %q (the trash must not show)", got)
	}
}

// testCheckpoints does what the service does for a checkpoint: a hidden
// directory beside the file, a copy into it, a copy back.
func testCheckpoints(t *testing.T, s contents.Store) {
	mkdir(t, s, "nb")
	write(t, s, "nb/a.ipynb", "v1")
	mkdir(t, s, "nb/.ipynb_checkpoints")
	f, _, err := s.Open(ctx, "nb/a.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Write(ctx, "nb/.ipynb_checkpoints/a-checkpoint.ipynb", f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, "nb/a.ipynb", "v2")
	if got := read(t, s, "nb/.ipynb_checkpoints/a-checkpoint.ipynb"); got != "v1" {
		t.Errorf("checkpoint = %q", got)
	}
	if got := names(t, s, "nb"); !slices.Equal(got, []string{".ipynb_checkpoints/", "a.ipynb"}) {
		t.Errorf("List(nb) = %q", got)
	}
	if err := s.Remove(ctx, "nb/.ipynb_checkpoints/a-checkpoint.ipynb"); err != nil {
		t.Fatal(err)
	}
	if got := names(t, s, "nb/.ipynb_checkpoints"); len(got) != 0 {
		t.Errorf("checkpoints after delete = %q", got)
	}
}

func testConditionalWrite(t *testing.T, s contents.Store) {
	cw, ok := s.(contents.ConditionalWriter)
	if !ok {
		t.Skip("store has no conditional writes")
	}
	info := write(t, s, "c", "one")
	if info.Version == "" {
		t.Fatal("a ConditionalWriter's Write gave no Version")
	}
	next, err := cw.WriteIf(ctx, "c", strings.NewReader("two"), info.Version)
	if err != nil {
		t.Fatalf("WriteIf(current version): %v", err)
	}
	_, err = cw.WriteIf(ctx, "c", strings.NewReader("three"), info.Version)
	wantKind(t, "WriteIf(old version)", err, errkind.Stale)
	_, err = cw.WriteIf(ctx, "c", strings.NewReader("three"), "")
	wantKind(t, "WriteIf(\"\") over an existing file", err, errkind.Stale)
	if got := read(t, s, "c"); got != "two" {
		t.Errorf("after refused writes = %q, want two", got)
	}
	if _, err := cw.WriteIf(ctx, "new", strings.NewReader("n"), ""); err != nil {
		t.Errorf("WriteIf(\"\") creating a file: %v", err)
	}
	if _, err := cw.WriteIf(ctx, "c", strings.NewReader("four"), next.Version); err != nil {
		t.Errorf("WriteIf(new version): %v", err)
	}
}

func multipart(t *testing.T, s contents.Store) contents.Multipart {
	ms, ok := s.(contents.Multipart)
	if !ok {
		t.Skip("store has no multipart uploads")
	}
	return ms
}

func testMultipart(t *testing.T, s contents.Store) {
	ms := multipart(t, s)
	mkdir(t, s, "up")
	write(t, s, "up/big.bin", "old")
	up, err := ms.StartUpload(ctx, "up/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for i := range 7 { // 1 MiB chunks, as the UI sends, past a 5 MiB part
		chunk := bytes.Repeat([]byte{byte('a' + i)}, 1<<20)
		want.Write(chunk)
		n, err := up.Add(ctx, bytes.NewReader(chunk))
		if err != nil {
			t.Fatalf("Add chunk %d: %v", i, err)
		}
		if n != int64(want.Len()) {
			t.Errorf("Add size = %d, want %d", n, want.Len())
		}
		if got := read(t, s, "up/big.bin"); got != "old" {
			t.Fatalf("upload visible before Complete (%d bytes)", len(got))
		}
	}
	if got := names(t, s, "up"); !slices.Equal(got, []string{"big.bin"}) {
		t.Errorf("List during upload = %q", got)
	}
	info, err := up.Complete(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(want.Len()) {
		t.Errorf("Complete size = %d", info.Size)
	}
	if got := read(t, s, "up/big.bin"); got != want.String() {
		t.Errorf("uploaded content differs (len %d, want %d)", len(got), want.Len())
	}
	// A small upload (one part short of the minimum) works too.
	up, err = ms.StartUpload(ctx, "up/small")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"ab", "cd"} {
		if _, err := up.Add(ctx, strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.Complete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "up/small"); got != "abcd" {
		t.Errorf("small upload = %q", got)
	}
	_, err = ms.StartUpload(ctx, "nodir/x")
	wantKind(t, "StartUpload into a missing directory", err, errkind.NotFound)
	_, err = ms.StartUpload(ctx, "up")
	wantKind(t, "StartUpload over a directory", err, errkind.Invalid)
}

// testMultipartGuarded: a completion guarded by the version the upload
// began against is refused (Stale, the file left as the other writer
// made it) when the file changed, or appeared, in between; and goes
// through when it did not. Both sizes: one PUT at Complete (under 5 MiB)
// and a multipart upload.
func testMultipartGuarded(t *testing.T, s contents.Store) {
	ms := multipart(t, s)
	for _, size := range []int{3, 6 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			body := bytes.Repeat([]byte{'u'}, size)
			upload := func(p string, change func()) (contents.Info, error) {
				t.Helper()
				up, err := ms.StartUpload(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				before, err := s.Stat(ctx, p)
				version := before.Version
				if errkind.Is(err, errkind.NotFound) {
					version = ""
				} else if err != nil {
					t.Fatal(err)
				}
				if _, err := up.Add(ctx, bytes.NewReader(body)); err != nil {
					t.Fatal(err)
				}
				change()
				info, err := up.Complete(ctx, &version)
				if err != nil {
					if aerr := up.Abort(ctx); aerr != nil {
						t.Errorf("Abort after a refused Complete: %v", aerr)
					}
				}
				return info, err
			}
			p := fmt.Sprintf("g%d", size)
			write(t, s, p, "v1")
			_, err := upload(p, func() { write(t, s, p, "other's save") })
			wantKind(t, "guarded Complete after another save", err, errkind.Stale)
			if got := read(t, s, p); got != "other's save" {
				t.Errorf("after a refused Complete: %d bytes %.20q…, want the other save", len(got), got)
			}
			q := p + "-new"
			_, err = upload(q, func() { write(t, s, q, "created meanwhile") })
			wantKind(t, "guarded Complete of a new file someone created", err, errkind.Stale)
			if got := read(t, s, q); got != "created meanwhile" {
				t.Errorf("after a refused Complete: %d bytes %.20q…, want the file made meanwhile", len(got), got)
			}
			info, err := upload(p, func() {})
			if err != nil || info.Size != int64(size) {
				t.Fatalf("guarded Complete, nothing changed: %+v, %v", info, err)
			}
			if got := read(t, s, p); got != string(body) {
				t.Errorf("after Complete: %d bytes, want %d", len(got), size)
			}
		})
	}
}

func testMultipartAbort(t *testing.T, s contents.Store) {
	ms := multipart(t, s)
	write(t, s, "a.bin", "old")
	up, err := ms.StartUpload(ctx, "a.bin")
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := up.Add(ctx, bytes.NewReader(make([]byte, 1<<20))); err != nil {
			t.Fatal(err)
		}
	}
	if err := up.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "a.bin"); got != "old" {
		t.Errorf("after Abort = %d bytes, want old", len(got))
	}
	if _, err := up.Complete(ctx, nil); err == nil {
		t.Error("Complete after Abort succeeded")
	}
}

func testCopy(t *testing.T, s contents.Store) {
	c, ok := s.(contents.Copier)
	if !ok {
		t.Skip("store has no copy")
	}
	write(t, s, "src", "data")
	mkdir(t, s, "d")
	info, err := c.Copy(ctx, "src", "d/dst")
	if err != nil || info.Size != 4 {
		t.Fatalf("Copy = %+v, %v", info, err)
	}
	if got := read(t, s, "d/dst"); got != "data" {
		t.Errorf("copy = %q", got)
	}
	_, err = c.Copy(ctx, "src", "nodir/dst")
	wantKind(t, "Copy into a missing directory", err, errkind.NotFound)
	_, err = c.Copy(ctx, "missing", "d/x")
	wantKind(t, "Copy of a missing file", err, errkind.NotFound)
}
