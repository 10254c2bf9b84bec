package contents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"quire/internal/errkind"
	"quire/internal/nbformat"
)

// GetOptions are the query parameters of a contents GET, already checked
// by the handler for syntax.
type GetOptions struct {
	// Type is "", "directory", "file" or "notebook" (anything else counts
	// as "file").
	Type string
	// Format is "", "text" or "base64" (files only).
	Format string
	// Content asks for the content.
	Content bool
	// Hash asks for the hash of the raw bytes (files and notebooks).
	Hash bool
}

func notFound(p string, cause error) error {
	return errkind.New(errkind.NotFound, fmt.Sprintf("file or directory '%s' does not exist", p), cause)
}

// Get returns the model of p.
func (s *Service) Get(ctx context.Context, p string, opt GetOptions) (*Model, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return nil, err
	}
	if opt.Format != "" && opt.Format != "text" && opt.Format != "base64" {
		return nil, errkind.Newf(errkind.Invalid, "Format '%s' is invalid", opt.Format)
	}
	switch opt.Type {
	case "", TypeDirectory, TypeFile, TypeNotebook:
	default:
		opt.Type = TypeFile
	}
	if s.hidden(p) {
		return nil, notFound(p, nil)
	}
	var (
		info    Info
		entries []Info
		listed  bool
	)
	if sl, ok := s.store.(StatLister); ok && opt.Content && (opt.Type == "" || opt.Type == TypeDirectory) {
		info, entries, listed, err = sl.StatList(ctx, p)
	} else {
		info, err = s.store.Stat(ctx, p)
	}
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, notFound(p, err)
		}
		return nil, fmt.Errorf("stat %s: %w", p, err)
	}
	if info.Dir {
		if opt.Type != "" && opt.Type != TypeDirectory {
			return nil, errkind.WithReason(errkind.Invalid, fmt.Sprintf("%s is a directory, not a %s", p, opt.Type), "bad type", nil)
		}
		if listed {
			return s.dirModelOf(p, info, entries), nil
		}
		return s.dirModel(ctx, p, info, opt.Content)
	}
	if opt.Type == TypeDirectory {
		return nil, errkind.WithReason(errkind.Invalid, fmt.Sprintf("%s is not a directory", p), "bad type", nil)
	}
	if opt.Type == TypeNotebook || (opt.Type == "" && strings.HasSuffix(p, ".ipynb")) {
		return s.notebookModel(ctx, p, info, opt)
	}
	return s.fileModel(ctx, p, info, opt)
}

// baseModel is the content-less model of an entry.
func baseModel(p string, info Info) *Model {
	_, name := split(p)
	m := &Model{
		Name: name, Path: p, Writable: info.Writable,
		Created: info.Created, LastModified: info.ModTime, Size: info.Size,
	}
	switch {
	case info.Dir:
		m.Type = TypeDirectory
	case strings.HasSuffix(name, ".ipynb"):
		m.Type = TypeNotebook
	default:
		m.Type = TypeFile
		m.Mimetype = MimeType(name)
	}
	return m
}

func (s *Service) dirModel(ctx context.Context, p string, info Info, content bool) (*Model, error) {
	m := baseModel(p, info)
	if !content {
		return m, nil
	}
	entries, err := s.store.List(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", p, err)
	}
	return s.dirModelOf(p, info, entries), nil
}

// dirModelOf is the model of directory p with entries as its content.
func (s *Service) dirModelOf(p string, info Info, entries []Info) *Model {
	m := baseModel(p, info)
	children := make([]*Model, 0, len(entries))
	for _, e := range entries {
		if s.hideName(e.Name) {
			continue
		}
		children = append(children, baseModel(join(p, e.Name), e))
	}
	slices.SortFunc(children, func(a, b *Model) int { return strings.Compare(a.Name, b.Name) })
	m.Content = children
	m.Format = "json"
	return m
}

// readAll reads file p whole into a buffer from the service's cache
// (Options.Buffers), which a caller done with it (holding copies only)
// gives back with s.opt.Buffers.Put.
func (s *Service) readAll(ctx context.Context, p string) ([]byte, Info, error) {
	f, info, err := s.store.Open(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, info, notFound(p, err)
		}
		return nil, info, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	buf := bytes.NewBuffer(s.opt.Buffers.Get(int(info.Size) + bytes.MinRead)[:0])
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, info, fmt.Errorf("read %s: %w", p, err)
	}
	return buf.Bytes(), info, nil
}

// hashFile streams p through the hash.
func (s *Service) hashFile(ctx context.Context, p string) (string, error) {
	f, _, err := s.store.Open(ctx, p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// withHash completes a content-less model, adding the file's hash when
// asked for.
func (s *Service) withHash(ctx context.Context, m *Model, opt GetOptions) (*Model, error) {
	if opt.Hash {
		h, err := s.hashFile(ctx, m.Path)
		if err != nil {
			return nil, err
		}
		m.Hash, m.HashAlgorithm = h, HashAlgorithm
	}
	return m, nil
}

func (s *Service) fileModel(ctx context.Context, p string, info Info, opt GetOptions) (*Model, error) {
	m := baseModel(p, info)
	m.Type = TypeFile
	m.Mimetype = MimeType(m.Name)
	if !opt.Content {
		return s.withHash(ctx, m, opt)
	}
	release, err := s.charge(fileMemoryFactor * info.Size)
	if err != nil {
		return nil, err
	}
	// The content below is a copy (string or base64), held until the
	// response is written.
	m.release = release
	data, info, err := s.readAll(ctx, p)
	if err != nil {
		release()
		return nil, err
	}
	defer s.opt.Buffers.Put(data)
	m.Size, m.LastModified = int64(len(data)), info.ModTime
	if opt.Hash {
		m.Hash, m.HashAlgorithm = hashBytes(data), HashAlgorithm
	}
	format := opt.Format
	if format == "" {
		format = "base64"
		if utf8.Valid(data) {
			format = "text"
		}
	}
	switch format {
	case "text":
		if !utf8.Valid(data) {
			release()
			return nil, errkind.WithReason(errkind.Invalid, fmt.Sprintf("%s is not UTF-8 encoded", p), "bad format", nil)
		}
		m.Content = string(data)
		if m.Mimetype == "" {
			m.Mimetype = "text/plain"
		}
	default:
		m.Content = encodeBase64(data)
		if m.Mimetype == "" {
			m.Mimetype = "application/octet-stream"
		}
	}
	m.Format = format
	return m, nil
}

func (s *Service) notebookModel(ctx context.Context, p string, info Info, opt GetOptions) (*Model, error) {
	m := baseModel(p, info)
	m.Type, m.Mimetype = TypeNotebook, ""
	if !opt.Content {
		return s.withHash(ctx, m, opt)
	}
	// Charged in two steps, given back by the model's Release: the file's
	// size before it is read, so that a request refused for want of memory
	// reads nothing (nbformat.FootprintFloor would overcharge an indented
	// file, which is read compacted); then, once the JSON (whose structure
	// sets the cost) is there, its estimate in place of the first charge.
	release, err := s.charge(info.Size)
	if err != nil {
		return nil, err
	}
	f, err := s.readNotebook(ctx, p, opt.Hash, 0)
	if err != nil {
		release()
		return nil, err
	}
	if release, err = s.recharge(release, nbformat.FootprintFor(f.data)); err != nil {
		s.opt.Buffers.Put(f.data)
		return nil, err
	}
	nb, err := nbformat.ReadFor(f.data)
	if err != nil {
		s.opt.Buffers.Put(f.data)
		err = s.rawError(ctx, p, err)
		var rerr error
		if f, nb, rerr = s.recover(ctx, p, opt.Hash); rerr != nil {
			release()
			s.log.Debug("notebook recovery failed", "path", p, "err", rerr)
			return nil, errkind.New(errkind.Invalid, fmt.Sprintf("Unreadable Notebook: %s %s", p, clientErr(err)), err)
		}
	}
	m.Size, m.LastModified, m.Created = f.size, f.info.ModTime, f.info.Created
	if opt.Hash {
		m.Hash, m.HashAlgorithm = f.hash, HashAlgorithm
	}
	if verr := nb.Validate(); verr != nil {
		m.Message = "Notebook validation failed: " + clientErr(verr)
	}
	trusted := s.notary != nil && s.notary.Trusted(nb)
	if trusted {
		s.rememberOutputs(nb) // a save may keep them trusted (trust.go)
	}
	s.examined.mark(p, f.info)
	// Rendered as metadata.trusted of every code cell, without growing
	// each cell's metadata in memory.
	nb.MarkTrusted(trusted)
	m.Content, m.Format = nb, "json"
	// The notebook's cells are ranges of data, decoded as the response is
	// written: data goes back to the cache only then.
	data := f.data
	m.release = func() { s.opt.Buffers.Put(data); release() }
	return m, nil
}

// recharge replaces a charge (given back by release) with one of need
// bytes, returning the function that gives the new charge back; on error
// nothing is charged any more. The first charge goes back before the
// second is made, so that a need over the whole budget is refused as too
// large (413), not as busy (503) because of the first.
func (s *Service) recharge(release func(), need int64) (func(), error) {
	release()
	return s.charge(need)
}

// notebookFile is a notebook file read by readNotebook.
type notebookFile struct {
	data []byte // the JSON (compacted from StreamMin bytes), from the service's buffer cache
	info Info
	size int64  // bytes in the file
	hash string // of the file's bytes, if asked for
}

// readChunk is how much of a notebook file readNotebook reads at a time.
const readChunk = 64 << 10

// readNotebook reads notebook file p into a buffer from the cache. A file
// of StreamMin bytes or more (read cell by cell, nbformat.ReadFor) is read
// without the whitespace between its JSON tokens (nbformat.Compactor): a
// file written with nbformat's indentation is up to many times the JSON it
// holds. It
// reads the file twice, first to learn the compacted size (so the buffer
// is allocated once at its final size), then to fill the buffer; hash
// asks for the sha256 of the file's bytes. With limit > 0, a file whose
// JSON is longer is not read a second time: errTooLong.
func (s *Service) readNotebook(ctx context.Context, p string, hash bool, limit int) (notebookFile, error) {
	f, info, err := s.store.Open(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return notebookFile{}, notFound(p, err)
		}
		return notebookFile{}, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	chunk := make([]byte, readChunk)
	// A file read whole as a tree (nbformat.ReadFor) is not compacted:
	// that would cost a first read of the file for memory a tree spends
	// anyway.
	compact := info.Size >= nbformat.StreamMin || (limit > 0 && info.Size > int64(limit))
	n := int(info.Size)
	if compact {
		scratch := make([]byte, 0, readChunk)
		var c nbformat.Compactor
		n = 0
		if err := readPieces(f, chunk, func(b []byte) { n += len(c.Append(scratch, b)) }); err != nil {
			return notebookFile{}, fmt.Errorf("read %s: %w", p, err)
		}
		if limit > 0 && n > limit {
			return notebookFile{}, errTooLong
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return notebookFile{}, fmt.Errorf("read %s: %w", p, err)
		}
	}
	// Should the file change between the reads, the buffer just grows.
	nf := notebookFile{data: s.opt.Buffers.Get(n)[:0], info: info}
	var c nbformat.Compactor
	h := sha256.New()
	err = readPieces(f, chunk, func(b []byte) {
		if compact {
			nf.data = c.Append(nf.data, b)
		} else {
			nf.data = append(nf.data, b...)
		}
		nf.size += int64(len(b))
		if hash {
			h.Write(b)
		}
	})
	if err != nil {
		s.opt.Buffers.Put(nf.data)
		return notebookFile{}, fmt.Errorf("read %s: %w", p, err)
	}
	if hash {
		nf.hash = hex.EncodeToString(h.Sum(nil))
	}
	return nf, nil
}

// errTooLong is readNotebook's refusal of a notebook over its limit.
var errTooLong = errors.New("notebook too long")

// readPieces calls f with each piece of r read into buf, until EOF.
func readPieces(r io.Reader, buf []byte, f func([]byte)) error {
	for {
		n, err := r.Read(buf)
		if n > 0 {
			f(buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// rawError returns err, a failure to read the compacted form of notebook
// p, as reading the file's own bytes reports it: a syntax error's line and
// column are those of the file. Other errors are the same either way.
func (s *Service) rawError(ctx context.Context, p string, err error) error {
	var se *nbformat.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	data, _, rerr := s.readAll(ctx, p)
	if rerr != nil {
		return err
	}
	defer s.opt.Buffers.Put(data)
	if _, rerr = nbformat.ReadStreaming(data); rerr != nil {
		return rerr // the messages hold no byte of data
	}
	return err
}

// clientErr renders a parse or validation error for a client: nbformat's
// messages describe the document, never the file system.
func clientErr(err error) string {
	var se *nbformat.SyntaxError
	var ve *nbformat.ValidationError
	switch {
	case errors.As(err, &se):
		return se.Msg
	case errors.As(err, &ve):
		return ve.Msg
	}
	return err.Error()
}

// recover tries Jupyter's atomic-write leftover: if ".~<name>" exists and
// parses, the unreadable file is moved to "<name>.invalid" and the backup
// takes its place.
func (s *Service) recover(ctx context.Context, p string, hash bool) (notebookFile, *nbformat.Notebook, error) {
	dir, name := split(p)
	backup := join(dir, ".~"+name)
	f, err := s.readNotebook(ctx, backup, hash, 0)
	if err != nil {
		return notebookFile{}, nil, err
	}
	nb, err := nbformat.ReadFor(f.data)
	if err == nil {
		err = s.restore(ctx, p, backup, &f)
	}
	if err != nil {
		s.opt.Buffers.Put(f.data)
		return notebookFile{}, nil, err
	}
	return f, nb, nil
}

// restore moves the unreadable notebook p aside and its backup in its
// place, describing the result in f.
func (s *Service) restore(ctx context.Context, p, backup string, f *notebookFile) error {
	dir, name := split(p)
	unlock := s.locks.lock(p)
	defer unlock()
	if err := s.store.Rename(ctx, p, join(dir, name+".invalid")); err != nil {
		return err
	}
	if err := s.store.Rename(ctx, backup, p); err != nil {
		return err
	}
	info, err := s.store.Stat(ctx, p)
	if err != nil {
		return err
	}
	f.info = info
	s.log.Warn("restored notebook from its backup", "path", p)
	return nil
}
