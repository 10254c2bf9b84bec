package s3store

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

func TestSpool(t *testing.T) {
	s, err := New(Options{Bucket: "b", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, spoolChunk - 1, spoolChunk, spoolChunk + 1, 3*spoolChunk + 17, spoolMemory + spoolChunk + 5} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + i/251)
		}
		r, size, done, err := s.spool(iotest.HalfReader(bytes.NewReader(data)))
		if err != nil || size != int64(n) {
			t.Fatalf("spool(%d) = %d, %v", n, size, err)
		}
		if n < spoolMemory { // TestReader's small reads of 65 MiB take minutes
			if err := iotest.TestReader(r, data); err != nil {
				t.Errorf("spool(%d): %v", n, err)
			}
		}
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
			t.Errorf("spool(%d) read after seek differs", n)
		}
		done()
	}
	if _, _, _, err := s.spool(iotest.ErrReader(io.ErrClosedPipe)); err == nil {
		t.Error("spool of a failing reader succeeded")
	}
}
