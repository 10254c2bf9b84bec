package contents

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"quire/internal/errkind"
	"quire/internal/nbformat"
)

// NewRequest is a POST body: a new untitled entry ({type, ext}) or a copy
// ({copy_from}).
type NewRequest struct {
	Type, Ext string
	// CopyFrom is the source path of a copy; "" means new untitled.
	CopyFrom string
}

// Create handles POST on directory dir: a copy when req.CopyFrom is set,
// else a new untitled notebook, file or directory. It returns the
// content-less model of what it created.
func (s *Service) Create(ctx context.Context, dir string, req NewRequest) (*Model, error) {
	dir, err := s.cleanPath(dir)
	if err != nil {
		return nil, err
	}
	info, err := s.store.Stat(ctx, dir)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, errkind.New(errkind.NotFound, "No such directory: "+dir, err)
		}
		return nil, fmt.Errorf("stat %s: %w", dir, err)
	}
	if !info.Dir {
		return nil, errkind.New(errkind.Invalid, "Cannot POST to files, use PUT instead.", nil)
	}
	if req.CopyFrom != "" {
		return s.Copy(ctx, req.CopyFrom, dir)
	}
	return s.NewUntitled(ctx, dir, req.Type, req.Ext)
}

// newUntitled creates "Untitled.ipynb", "untitled<ext>" or "Untitled
// Folder" (numbered on clashes) in dir.
func (s *Service) newUntitled(ctx context.Context, dir, typ, ext string) (*Model, error) {
	dir, err := s.cleanPath(dir)
	if err != nil {
		return nil, err
	}
	if s.hidden(dir) {
		return nil, errkind.Newf(errkind.Invalid, "Cannot create file or directory '%s'", dir)
	}
	info, err := s.store.Stat(ctx, dir)
	if err != nil || !info.Dir {
		return nil, errkind.New(errkind.NotFound, "No such directory: "+dir, err)
	}
	if typ == "" {
		typ = TypeFile
		if ext == ".ipynb" {
			typ = TypeNotebook
		}
	}
	var name, insert string
	switch typ {
	case TypeDirectory:
		name, insert = "Untitled Folder", " "
	case TypeNotebook:
		if ext == "" {
			ext = ".ipynb"
		}
		name = "Untitled" + ext
	default:
		typ = TypeFile
		name = "untitled" + ext
	}
	unlock := s.locks.lock("\x00new:" + dir) // one untitled name at a time per dir
	defer unlock()
	name, err = s.increment(ctx, dir, name, insert)
	if err != nil {
		return nil, err
	}
	p := join(dir, name)
	switch typ {
	case TypeDirectory:
		err = s.store.Mkdir(ctx, p)
	case TypeNotebook:
		var data []byte
		if data, err = nbformat.Marshal(nbformat.New()); err == nil {
			_, err = s.store.Write(ctx, p, bytes.NewReader(data))
		}
	default:
		_, err = s.store.Write(ctx, p, bytes.NewReader(nil))
	}
	if err != nil {
		return nil, s.writeErr(p, err)
	}
	return s.Get(ctx, p, GetOptions{})
}

// increment returns the first free name in dir: name, then base+insert+"1"
// +suffix, "…2…", and so on (spec §2.3.5).
func (s *Service) increment(ctx context.Context, dir, name, insert string) (string, error) {
	base, suffix := splitName(name)
	for i := 0; ; i++ {
		cand := name
		if i > 0 {
			cand = base + insert + strconv.Itoa(i) + suffix
		}
		_, err := s.store.Stat(ctx, join(dir, cand))
		if errkind.Is(err, errkind.NotFound) {
			return cand, nil
		}
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", cand, err)
		}
		if i > 100000 {
			return "", errkind.Newf(errkind.Conflict, "no free name for %s", name)
		}
	}
}

// copyEntry copies from (file or directory) into directory or path to (spec
// §2.3.6): into an existing directory under a "-Copy<n>" name, or to
// exactly to when it does not exist.
func (s *Service) copyEntry(ctx context.Context, from, to string) (*Model, error) {
	from, err := s.cleanPath(from)
	if err != nil {
		return nil, err
	}
	to, err = s.cleanPath(to)
	if err != nil {
		return nil, err
	}
	if s.hidden(from) || s.hidden(to) {
		return nil, errkind.Newf(errkind.Invalid, "Cannot copy '%s' to '%s'", from, to)
	}
	src, err := s.store.Stat(ctx, from)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return nil, notFound(from, err)
		}
		return nil, fmt.Errorf("stat %s: %w", from, err)
	}
	if from == "" {
		return nil, errkind.New(errkind.Invalid, "Cannot copy the root directory", nil)
	}
	dst, err := s.store.Stat(ctx, to)
	switch {
	case err == nil && dst.Dir:
		_, name := split(from)
		name = copySuffix.ReplaceAllString(name, ".")
		unlock := s.locks.lock("\x00new:" + to)
		defer unlock()
		name, err = s.increment(ctx, to, name, "-Copy")
		if err != nil {
			return nil, err
		}
		to = join(to, name)
	case err == nil:
		return nil, errkind.Newf(errkind.Conflict, "File already exists: %s", to)
	case errkind.Is(err, errkind.NotFound):
		parent, _ := split(to)
		if pi, perr := s.store.Stat(ctx, parent); perr != nil || !pi.Dir {
			return nil, errkind.New(errkind.NotFound, "No such parent directory: "+parent, perr)
		}
	default:
		return nil, fmt.Errorf("stat %s: %w", to, err)
	}
	if src.Dir {
		if to == from || len(to) > len(from) && to[:len(from)+1] == from+"/" {
			return nil, errkind.Newf(errkind.Invalid, "Cannot copy %s into itself", from)
		}
		size, err := s.treeSize(ctx, from, s.opt.MaxCopyDirSize)
		if err != nil {
			return nil, err
		}
		if size > s.opt.MaxCopyDirSize {
			return nil, errkind.Newf(errkind.Invalid, "Can't copy folders larger than %d MB, '%s' is larger", s.opt.MaxCopyDirSize>>20, from)
		}
		if err := s.copyTree(ctx, from, to); err != nil {
			return nil, s.writeErr(to, err)
		}
	} else if _, err := s.copyFile(ctx, from, to); err != nil {
		return nil, s.writeErr(to, err)
	}
	return s.Get(ctx, to, GetOptions{})
}

// treeSize sums file sizes below dir, stopping early past limit.
func (s *Service) treeSize(ctx context.Context, dir string, limit int64) (int64, error) {
	entries, err := s.store.List(ctx, dir)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", dir, err)
	}
	var total int64
	for _, e := range entries {
		if e.Dir {
			n, err := s.treeSize(ctx, join(dir, e.Name), limit-total)
			if err != nil {
				return 0, err
			}
			total += n
		} else {
			total += e.Size
		}
		if total > limit {
			return total, nil
		}
	}
	return total, nil
}

// copyTree copies directory from to the new path to, checkpoints included.
func (s *Service) copyTree(ctx context.Context, from, to string) error {
	if err := s.store.Mkdir(ctx, to); err != nil {
		return err
	}
	entries, err := s.store.List(ctx, from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		src, dst := join(from, e.Name), join(to, e.Name)
		if e.Dir {
			err = s.copyTree(ctx, src, dst)
		} else {
			_, err = s.copyFile(ctx, src, dst)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
