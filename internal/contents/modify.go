package contents

import (
	"context"
	"fmt"
	"io"

	"quire/internal/errkind"
	"quire/internal/nbformat"
)

// rename moves from to to (files and directories) with its checkpoint, and
// returns the content-less model at to.
func (s *Service) rename(ctx context.Context, from, to string) (*Model, error) {
	from, err := s.cleanPath(from)
	if err != nil {
		return nil, err
	}
	to, err = s.cleanPath(to)
	if err != nil {
		return nil, err
	}
	if from == "" || to == "" {
		return nil, errkind.New(errkind.Invalid, "Cannot rename the root directory", nil)
	}
	if s.hidden(from) || s.hidden(to) {
		return nil, errkind.Newf(errkind.Invalid, "Cannot rename file or directory '%s'", from)
	}
	src, err := s.store.Stat(ctx, from)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, notFound(from, err)
		}
		return nil, fmt.Errorf("stat %s: %w", from, err)
	}
	if from == to {
		return s.Get(ctx, to, GetOptions{})
	}
	if _, err := s.store.Stat(ctx, to); err == nil {
		return nil, errkind.Newf(errkind.Conflict, "File already exists: %s", to)
	} else if !errkind.Is(err, errkind.NotFound) {
		return nil, fmt.Errorf("stat %s: %w", to, err)
	}
	parent, _ := split(to)
	if pi, err := s.store.Stat(ctx, parent); err != nil || !pi.Dir {
		return nil, errkind.New(errkind.NotFound, "No such parent directory: "+parent, err)
	}
	if src.Dir && len(to) > len(from) && to[:len(from)+1] == from+"/" {
		return nil, errkind.Newf(errkind.Invalid, "Cannot move %s into itself", from)
	}
	if err := s.store.Rename(ctx, from, to); err != nil {
		return nil, s.writeErr(to, err)
	}
	if !src.Dir {
		s.moveCheckpoint(ctx, from, to)
	}
	return s.Get(ctx, to, GetOptions{})
}

// moveCheckpoint carries from's checkpoint to to's place, if it has one.
func (s *Service) moveCheckpoint(ctx context.Context, from, to string) {
	oldCP, newCP := checkpointPath(from), checkpointPath(to)
	if _, err := s.store.Stat(ctx, oldCP); err != nil {
		return
	}
	newDir, _ := split(newCP)
	if err := s.store.Mkdir(ctx, newDir); err != nil && !errkind.Is(err, errkind.Conflict) {
		s.log.Warn("could not move checkpoint", "path", from, "err", err)
		return
	}
	if err := s.store.Rename(ctx, oldCP, newCP); err != nil {
		s.log.Warn("could not move checkpoint", "path", from, "err", err)
	}
}

// deleteEntry removes p: to the trash when Options.DeleteToTrash, else for good
// (a non-empty directory is refused unless it holds only checkpoints). A
// file's checkpoint goes too.
func (s *Service) deleteEntry(ctx context.Context, p string) error {
	p, err := s.cleanPath(p)
	if err != nil {
		return err
	}
	if p == "" {
		return errkind.New(errkind.Invalid, "Can't delete root", nil)
	}
	if s.hidden(p) {
		return errkind.Newf(errkind.Invalid, "Cannot delete file or directory '%s'", p)
	}
	info, err := s.store.Stat(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return notFound(p, err)
		}
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if !info.Dir {
		if err := s.store.Remove(ctx, checkpointPath(p)); err != nil && !errkind.Is(err, errkind.NotFound) {
			s.log.Warn("could not delete checkpoint", "path", p, "err", err)
		}
	}
	if s.opt.DeleteToTrash {
		if !info.Writable {
			return errkind.New(errkind.Forbidden, "Permission denied: "+p, nil)
		}
		if err := s.store.Trash(ctx, p); err != nil {
			if k := errkind.Of(err); k == errkind.NotFound || k == errkind.Forbidden {
				return s.writeErr(p, err)
			}
			return errkind.New(errkind.Invalid, "Failed to move "+p+" to the trash", err)
		}
		return nil
	}
	if info.Dir {
		entries, err := s.store.List(ctx, p)
		if err != nil {
			return fmt.Errorf("list %s: %w", p, err)
		}
		for _, e := range entries {
			if e.Name != checkpointDir {
				return errkind.Newf(errkind.Invalid, "Directory %s not empty", p)
			}
		}
	}
	if err := s.store.Remove(ctx, p); err != nil {
		return s.writeErr(p, err)
	}
	return nil
}

// Download is an open file for /files.
type Download struct {
	Name string
	Info Info
	Body io.ReadSeekCloser
}

// Open opens file p for download. Hidden paths and directories are
// NotFound. The caller closes Body.
func (s *Service) Open(ctx context.Context, p string) (*Download, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return nil, err
	}
	if p == "" || s.hidden(p) {
		return nil, notFound(p, nil)
	}
	f, info, err := s.store.Open(ctx, p)
	if err != nil {
		if k := errkind.Of(err); k == errkind.NotFound || k == errkind.Invalid {
			return nil, notFound(p, err)
		}
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	if info.Dir {
		f.Close()
		return nil, notFound(p, nil)
	}
	_, name := split(p)
	return &Download{Name: name, Info: info, Body: f}, nil
}

// trust signs notebook p so its outputs render as trusted, and remembers
// its outputs so that later saves of them stay signed (trust.go).
func (s *Service) trust(ctx context.Context, p string) error {
	if s.notary == nil {
		return errkind.New(errkind.Unavailable, "notebook trust is not available", nil)
	}
	m, err := s.Get(ctx, p, GetOptions{Type: TypeNotebook, Content: true})
	if err != nil {
		return err
	}
	defer m.Release() // nb is not kept past Sign
	nb, ok := m.Content.(*nbformat.Notebook)
	if !ok {
		return errkind.Newf(errkind.Invalid, "%s is not a notebook", p)
	}
	nb.SetTrusted(true)
	if err := s.notary.Sign(nb); err != nil {
		return fmt.Errorf("sign %s: %w", p, err)
	}
	s.rememberOutputs(nb) // the user vouches for them now
	return nil
}
