package contents

import (
	"context"
	"io"
)

// countBytes makes every file byte the service reads from or writes to
// its store pass a counter: Open's files, Write and Append, conditional
// writes and multipart uploads. A store-side Copy moves no bytes through
// the server and counts none. read or written may be nil.
func (s *Service) countBytes(read, written func(int)) {
	if read == nil {
		read = func(int) {}
	}
	if written == nil {
		written = func(int) {}
	}
	s.store = countingStore{s.store, read, written}
	if s.cond != nil {
		s.cond = countingCond{s.cond, written}
	}
	if s.multi != nil {
		s.multi = countingMulti{s.multi, written}
	}
}

type countingStore struct {
	Store
	read, written func(int)
}

func (s countingStore) Open(ctx context.Context, p string) (io.ReadSeekCloser, Info, error) {
	f, info, err := s.Store.Open(ctx, p)
	if err != nil {
		return f, info, err
	}
	return countingFile{f, s.read}, info, nil
}

func (s countingStore) Write(ctx context.Context, p string, r io.Reader) (Info, error) {
	return s.Store.Write(ctx, p, countingReader{r, s.written})
}

func (s countingStore) Append(ctx context.Context, p string, r io.Reader) (Info, error) {
	return s.Store.Append(ctx, p, countingReader{r, s.written})
}

type countingCond struct {
	ConditionalWriter
	written func(int)
}

func (c countingCond) WriteIf(ctx context.Context, p string, r io.Reader, version string) (Info, error) {
	return c.ConditionalWriter.WriteIf(ctx, p, countingReader{r, c.written}, version)
}

type countingMulti struct {
	Multipart
	written func(int)
}

func (m countingMulti) StartUpload(ctx context.Context, p string) (Upload, error) {
	up, err := m.Multipart.StartUpload(ctx, p)
	if err != nil {
		return up, err
	}
	return countingUpload{up, m.written}, nil
}

type countingUpload struct {
	Upload
	written func(int)
}

func (u countingUpload) Add(ctx context.Context, r io.Reader) (int64, error) {
	return u.Upload.Add(ctx, countingReader{r, u.written})
}

// countingFile counts the bytes read from a store's file.
type countingFile struct {
	io.ReadSeekCloser
	count func(int)
}

func (f countingFile) Read(b []byte) (int, error) {
	n, err := f.ReadSeekCloser.Read(b)
	f.count(n)
	return n, err
}

// countingReader counts the bytes a store takes to write.
type countingReader struct {
	r     io.Reader
	count func(int)
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.count(n)
	return n, err
}
