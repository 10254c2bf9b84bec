package contents_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"quire/internal/contents"
	"quire/internal/contents/fsstore"
	"quire/internal/errkind"
	"quire/internal/fsroot"
)

func newService(tb testing.TB, opt contents.Options) (*contents.Service, string) {
	tb.Helper()
	dir := tb.TempDir()
	root, err := fsroot.Open(dir, fsroot.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { root.Close() })
	return contents.New(fsstore.New(root, fsstore.Options{TrashDir: tb.TempDir()}), nil, opt, nil), dir
}

var ctx = context.Background()

func chunkReq(n int, data []byte) contents.SaveRequest {
	raw, _ := json.Marshal(base64.StdEncoding.EncodeToString(data))
	return contents.SaveRequest{Type: "file", Format: "base64", Content: raw, Chunk: n}
}

// FuzzChunkedUpload: any split of the data into chunks 1, 2, …, -1
// uploads exactly the concatenation; bad chunk numbers are Invalid and
// leave the target alone.
func FuzzChunkedUpload(f *testing.F) {
	f.Add([]byte("hello world"), []byte{3, 4}, int16(0))
	f.Add([]byte{}, []byte{}, int16(-2))
	f.Add([]byte("abc"), []byte{0, 0, 1}, int16(5))
	f.Fuzz(func(t *testing.T, data, cuts []byte, bad int16) {
		svc, dir := newService(t, contents.Options{})
		if err := os.WriteFile(filepath.Join(dir, "up.bin"), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if bad < -1 { // 0 means "not chunked" here; the handler refuses a literal 0
			if _, _, err := svc.Save(ctx, "up.bin", chunkReq(int(bad), data)); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("chunk %d: err %v, want Invalid", bad, err)
			}
		}
		if bad > 1 { // a later chunk with no upload in progress
			if _, _, err := svc.Save(ctx, "up.bin", chunkReq(int(bad), data)); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("chunk %d first: err %v, want Invalid", bad, err)
			}
		}
		var pieces [][]byte
		rest := data
		for _, c := range cuts {
			if len(rest) == 0 || len(pieces) > 20 {
				break
			}
			n := min(int(c)%(len(rest)+1), len(rest))
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		pieces = append(pieces, rest)
		for i, p := range pieces {
			n := i + 1
			if i == len(pieces)-1 {
				if i == 0 {
					if _, _, err := svc.Save(ctx, "up.bin", chunkReq(1, nil)); err != nil {
						t.Fatal(err)
					}
				}
				n = -1
			}
			if _, _, err := svc.Save(ctx, "up.bin", chunkReq(n, p)); err != nil {
				t.Fatalf("chunk %d: %v", n, err)
			}
			if n != -1 {
				if got, _ := os.ReadFile(filepath.Join(dir, "up.bin")); string(got) != "old" {
					t.Fatalf("target changed mid-upload: %q", got)
				}
			}
		}
		got, err := os.ReadFile(filepath.Join(dir, "up.bin"))
		if err != nil || string(got) != string(data) {
			t.Fatalf("uploaded %q, want %q (%v)", got, data, err)
		}
	})
}

func TestBase64Wrapping(t *testing.T) {
	svc, dir := newService(t, contents.Options{})
	for _, n := range []int{0, 1, 56, 57, 58, 114, 1000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + 0x80)
		}
		if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := svc.Get(ctx, "f", contents.GetOptions{Content: true, Format: "base64"})
		if err != nil {
			t.Fatal(err)
		}
		enc := base64.StdEncoding.EncodeToString(data)
		var want strings.Builder
		for len(enc) > 76 {
			want.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		if enc != "" {
			want.WriteString(enc + "\n")
		}
		if m.Content != want.String() {
			t.Errorf("%d bytes: %q, want %q", n, m.Content, want.String())
		}
	}
}

func TestModelJSON(t *testing.T) {
	svc, dir := newService(t, contents.Options{})
	if err := os.WriteFile(filepath.Join(dir, "a\x01<&>\"b.txt"), []byte("\u2028 <tag> \"q\" \\ \t"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := svc.Get(ctx, "", contents.GetOptions{Content: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Content []struct{ Name string }
	}
	if err := json.Unmarshal(b, &back); err != nil || len(back.Content) != 1 || back.Content[0].Name != "a\x01<&>\"b.txt" {
		t.Fatalf("round trip %s: %+v %v", b, back, err)
	}
	f, err := svc.Get(ctx, "a\x01<&>\"b.txt", contents.GetOptions{Content: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(f)
	var fm map[string]any
	if err := json.Unmarshal(b, &fm); err != nil || fm["content"] != "\u2028 <tag> \"q\" \\ \t" {
		t.Fatalf("file content round trip: %s %v", b, err)
	}
}

func TestUntitledNames(t *testing.T) {
	svc, dir := newService(t, contents.Options{})
	for _, n := range []string{"ipynb", "a.b.ipynb", "x.tar.gz"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, want string }{
		{"a.b.ipynb", "d/a.b.ipynb"},
		{"a.b.ipynb", "d/a.b-Copy1.ipynb"},
		{"x.tar.gz", "d/x.tar.gz"},
		{"x.tar.gz", "d/x-Copy1.tar.gz"},
		{"d/x-Copy1.tar.gz", "d/x-Copy2.tar.gz"},
	} {
		m, err := svc.Copy(ctx, tc.from, "d")
		if err != nil || m.Path != tc.want {
			t.Errorf("Copy(%s) = %v, %v; want %s", tc.from, m, err, tc.want)
		}
	}
}

// bigNotebook builds a notebook of about size bytes in API form.
func bigNotebook(size int) []byte {
	var cells []any
	line := strings.Repeat("x", 70) + "\n"
	for total := 0; total < size; total += 20 * len(line) {
		cells = append(cells, map[string]any{
			"cell_type": "code", "execution_count": 1, "id": fmt.Sprintf("c%d", len(cells)),
			"metadata": map[string]any{}, "source": "print('hello')\n" + strings.Repeat(line, 3),
			"outputs": []any{map[string]any{"output_type": "stream", "name": "stdout", "text": strings.Repeat(line, 17)}},
		})
	}
	b, _ := json.Marshal(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	return b
}

func BenchmarkPutNotebook20MB(b *testing.B) {
	svc, _ := newService(b, contents.Options{})
	nb := bigNotebook(20 << 20)
	b.SetBytes(int64(len(nb)))
	for b.Loop() {
		if _, _, err := svc.Save(ctx, "big.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetNotebook20MB(b *testing.B) {
	svc, _ := newService(b, contents.Options{})
	nb := bigNotebook(20 << 20)
	if _, _, err := svc.Save(ctx, "big.ipynb", contents.SaveRequest{Type: "notebook", Content: nb}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(nb)))
	for b.Loop() {
		m, err := svc.Get(ctx, "big.ipynb", contents.GetOptions{Content: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList2000(b *testing.B) {
	svc, dir := newService(b, contents.Options{})
	for i := range 2000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%04d.py", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		m, err := svc.Get(ctx, "", contents.GetOptions{Content: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
