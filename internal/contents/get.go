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

	"quire/internal/bigbuf"
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
	info, err := s.store.Stat(ctx, p)
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
	return m, nil
}

// readAll reads file p whole into a buffer from bigbuf, which a caller
// done with it (holding copies only) gives back with bigbuf.Put.
func (s *Service) readAll(ctx context.Context, p string) ([]byte, Info, error) {
	f, info, err := s.store.Open(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, info, notFound(p, err)
		}
		return nil, info, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	buf := bytes.NewBuffer(bigbuf.Get(int(info.Size) + bytes.MinRead)[:0])
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
	defer bigbuf.Put(data)
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
	// Charged in two parts, given back by the model's Release: the least
	// the file can cost before it is read, so that a refused request reads
	// nothing; the rest once the bytes (whose structure sets the cost) are
	// there, before they are decoded.
	floor := nbformat.FootprintFloor(info.Size)
	release1, err := s.charge(floor)
	if err != nil {
		return nil, err
	}
	data, info, err := s.readAll(ctx, p)
	if err != nil {
		release1()
		return nil, err
	}
	release2, err := s.charge(nbformat.Footprint(data) - floor)
	if err != nil {
		release1()
		bigbuf.Put(data)
		return nil, err
	}
	release := func() { release1(); release2() }
	// The notebook's strings go into a reused buffer, released by the
	// model's Release once the response is written.
	arena := bigbuf.Get(len(data))
	nb, err := nbformat.ReadArena(data, arena)
	if err != nil {
		bigbuf.Put(arena) // a failed decode keeps nothing of either
		bigbuf.Put(data)
		arena = nil
		var rerr error
		data, info, nb, rerr = s.recover(ctx, p)
		if rerr != nil {
			release()
			s.log.Debug("notebook recovery failed", "path", p, "err", rerr)
			return nil, errkind.New(errkind.Invalid, fmt.Sprintf("Unreadable Notebook: %s %s", p, clientErr(err)), err)
		}
	}
	m.Size, m.LastModified, m.Created = int64(len(data)), info.ModTime, info.Created
	if opt.Hash {
		m.Hash, m.HashAlgorithm = hashBytes(data), HashAlgorithm
	}
	// The notebook holds copies of what it needs (its own string arena).
	bigbuf.Put(data)
	if verr := nb.Validate(); verr != nil {
		m.Message = "Notebook validation failed: " + clientErr(verr)
	}
	trusted := s.notary != nil && s.notary.Trusted(nb)
	if trusted {
		s.rememberOutputs(nb) // a save may keep them trusted (trust.go)
	}
	s.examined.mark(p, info)
	// Rendered as metadata.trusted of every code cell, without growing
	// each cell's metadata in memory.
	nb.MarkTrusted(trusted)
	m.Content, m.Format = nb, "json"
	m.release = release
	if arena != nil {
		m.release = func() { bigbuf.Put(arena); release() }
	}
	return m, nil
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
func (s *Service) recover(ctx context.Context, p string) ([]byte, Info, *nbformat.Notebook, error) {
	dir, name := split(p)
	backup := join(dir, ".~"+name)
	data, _, err := s.readAll(ctx, backup)
	if err != nil {
		return nil, Info{}, nil, err
	}
	nb, err := nbformat.Read(data)
	if err != nil {
		return nil, Info{}, nil, err
	}
	unlock := s.locks.lock(p)
	defer unlock()
	if err := s.store.Rename(ctx, p, join(dir, name+".invalid")); err != nil {
		return nil, Info{}, nil, err
	}
	if err := s.store.Rename(ctx, backup, p); err != nil {
		return nil, Info{}, nil, err
	}
	info, err := s.store.Stat(ctx, p)
	if err != nil {
		return nil, Info{}, nil, err
	}
	s.log.Warn("restored notebook from its backup", "path", p)
	return data, info, nb, nil
}
