package fsstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"quire/internal/contents"
	"quire/internal/errkind"
	"quire/internal/percent"
)

// Trash implements contents.Store: p moves to the freedesktop trash can
// ("files/<name>" plus "info/<name>.trashinfo"), as send2trash does. On a
// name clash in the can the name gets " 2", " 3", … before its extension.
func (s *Store) Trash(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Invalid, "Can't delete root", nil)
	}
	if _, err := s.root.Lstat(p); err != nil {
		return kindErr(p, err)
	}
	can, topdir, err := s.trashCan()
	if err != nil {
		return err
	}
	filesDir, infoDir := filepath.Join(can, "files"), filepath.Join(can, "info")
	for _, d := range []string{filesDir, infoDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return errkind.New(errkind.Invalid, "trash is not usable", err)
		}
	}
	abs := filepath.Join(s.root.Dir(), filepath.FromSlash(p))
	recorded := abs
	if topdir != "" {
		if rel, err := filepath.Rel(topdir, abs); err == nil {
			recorded = rel
		}
	}
	info := "[Trash Info]\nPath=" + encodeTrashPath(recorded) +
		"\nDeletionDate=" + time.Now().Format("2006-01-02T15:04:05") + "\n"

	name := contents.Base(p)
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		stem, ext = name[:i], name[i:]
	}
	for n := 1; n < 10000; n++ {
		cand := name
		if n > 1 {
			cand = stem + " " + strconv.Itoa(n) + ext
		}
		infoPath := filepath.Join(infoDir, cand+".trashinfo")
		f, err := os.OpenFile(infoPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return errkind.New(errkind.Invalid, "trash is not usable", err)
		}
		_, werr := f.WriteString(info)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		dst := filepath.Join(filesDir, cand)
		if werr == nil {
			if _, err := os.Lstat(dst); err == nil {
				// A stray file without info: try the next name.
				os.Remove(infoPath)
				continue
			}
			werr = s.root.MoveOut(p, dst)
		}
		if werr != nil {
			os.Remove(infoPath)
			return kindErr(p, werr)
		}
		return nil
	}
	return errkind.New(errkind.Invalid, "trash is full of "+name, nil)
}

// trashCan picks the can; topdir is set when the can is a per-volume one
// (its .trashinfo paths are then relative to topdir).
func (s *Store) trashCan() (can, topdir string, err error) {
	if s.opt.TrashDir != "" {
		return s.opt.TrashDir, "", nil
	}
	return TrashCan(s.root.Dir())
}

// TrashCan is the freedesktop trash can that deletions under rootDir go
// to: the home trash when rootDir is on its file system, else
// "<topdir>/.Trash-<uid>" on rootDir's own (topdir is then set: the mount
// point, to which .trashinfo paths are relative). quire doctor asks it
// too, to check the can is usable.
func TrashCan(rootDir string) (can, topdir string, err error) {
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" || !filepath.IsAbs(data) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", "", errkind.New(errkind.Unavailable, "no trash can: home directory unknown", err)
		}
		data = filepath.Join(home, ".local", "share")
	}
	home := filepath.Join(data, "Trash")
	rootDev, ok := device(rootDir)
	if !ok || sameDevice(home, rootDev) {
		return home, "", nil
	}
	top := topDir(rootDir, rootDev)
	return filepath.Join(top, ".Trash-"+strconv.Itoa(os.Getuid())), top, nil
}

// sameDevice reports whether p's nearest existing ancestor is on dev.
func sameDevice(p string, dev uint64) bool {
	for {
		if d, ok := device(p); ok {
			return d == dev
		}
		up := filepath.Dir(p)
		if up == p {
			return false
		}
		p = up
	}
}

// topDir is the mount point holding dir: the highest ancestor on dev.
func topDir(dir string, dev uint64) string {
	for {
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		if d, ok := device(up); !ok || d != dev {
			return dir
		}
		dir = up
	}
}

// encodeTrashPath percent-encodes a path for a .trashinfo file (RFC 3986
// unreserved characters and "/" stay).
func encodeTrashPath(p string) string {
	return percent.Encode(p, "-._~/")
}
