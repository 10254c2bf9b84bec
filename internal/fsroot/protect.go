package fsroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrProtected reports a path that is, or leads into, one of Quire's own
// state directories (Options.Protected). Callers answer it exactly like a
// missing file, so a client learns nothing about what lies there.
var ErrProtected = errors.New("inside a protected state directory")

// Protected names a directory holding Quire's own state (runtime files
// with the token and kernel HMAC keys, the cookie secret, the TLS key,
// notebook trust) that no API path may read, write, list or move, even when
// the root contains it.
type Protected struct {
	// Dir is the directory. It need not exist yet: it is matched both by
	// identity (device and inode, so a bind mount or a differently cased
	// name on a case-insensitive file system is caught) when it exists at
	// Open, and by its resolved real path (so one created later is caught).
	Dir string
	// Prefixes, if set, protects only the entries directly in Dir whose
	// names start with one of them (compared case-insensitively), not the
	// whole directory: the trust files live in Jupyter's data directory,
	// beside kernelspecs a user may legitimately edit.
	Prefixes []string
}

// guard decides whether a path is Quire's state. Every check works on real
// paths (filepath.EvalSymlinks), so neither a symlink inside the root nor a
// followed one outside it can lead into a protected directory, and on file
// identities, so neither can a bind mount or a case variant.
//
// The checks and the operation after them are not atomic: someone who can
// create symlinks inside the root between the two could race them. The
// API cannot create symlinks; kernels and terminals can, but they run code
// as the user and read these files anyway.
type guard struct {
	root  string // real path of the root
	dirs  []protDir
	anyID bool // some whole directory existed at Open: compare identities
}

type protDir struct {
	real     string      // resolved real path
	fi       fs.FileInfo // nil if it did not exist at Open
	prefixes []string    // lower-cased; empty: the whole directory
	// ancestors are the FileInfos of real and every directory above it,
	// taken at Open: deleting or renaming any of them would take the state
	// with it. The API cannot move them (that is refused), so they stay valid.
	ancestors []fs.FileInfo
}

func newGuard(rootAbs string, ps []Protected) (*guard, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	rootReal, err := filepath.EvalSymlinks(rootAbs)
	if err != nil {
		return nil, fmt.Errorf("resolve root: %w", err)
	}
	g := &guard{root: rootReal}
	for _, p := range ps {
		if p.Dir == "" {
			continue
		}
		abs, err := filepath.Abs(p.Dir)
		if err != nil {
			return nil, fmt.Errorf("protected directory %s: %w", p.Dir, err)
		}
		d := protDir{real: realPath(abs)}
		for _, s := range p.Prefixes {
			d.prefixes = append(d.prefixes, strings.ToLower(s))
		}
		d.fi, _ = os.Stat(d.real)
		for a := d.real; ; {
			if fi, err := os.Stat(a); err == nil {
				d.ancestors = append(d.ancestors, fi)
			}
			up := filepath.Dir(a)
			if up == a {
				break
			}
			a = up
		}
		if len(d.prefixes) == 0 && (within(rootReal, d.real) || (d.fi != nil && under(rootReal, d.fi))) {
			// Every path would be refused; better to say so at start.
			return nil, fmt.Errorf("root directory %s is inside Quire's state directory %s", rootAbs, p.Dir)
		}
		g.dirs = append(g.dirs, d)
		g.anyID = g.anyID || (len(d.prefixes) == 0 && d.fi != nil)
	}
	return g, nil
}

// contains reports whether fi is d or a directory above it.
func (d *protDir) contains(fi fs.FileInfo) bool {
	for _, a := range d.ancestors {
		if os.SameFile(a, fi) {
			return true
		}
	}
	return false
}

// under reports whether the directory at real path p is dir or below it.
func under(p string, dir fs.FileInfo) bool {
	for {
		if fi, err := os.Stat(p); err == nil && os.SameFile(fi, dir) {
			return true
		}
		up := filepath.Dir(p)
		if up == p {
			return false
		}
		p = up
	}
}

// realPath resolves the symlinks in abs; a part that does not exist (yet)
// is appended to its nearest existing ancestor's real path unresolved. A
// dangling symlink is followed by its text all the same: creating a file
// through it creates the target.
func realPath(abs string) string { return realPathN(abs, 0) }

func realPathN(abs string, depth int) string {
	rest := ""
	for p := abs; ; {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if t, err := os.Readlink(p); err == nil && depth < 40 { // 40: Linux's own limit
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(p), t)
			}
			return filepath.Join(realPathN(t, depth+1), rest)
		}
		up := filepath.Dir(p)
		if up == p {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = up
	}
}

// within reports whether path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// protected reports whether os.Root name n of the root at rootAbs (or what
// it resolves to) is Quire's state.
func (g *guard) protected(rootAbs, n string) bool {
	if g == nil {
		return false
	}
	return g.protectedReal(realPath(filepath.Join(rootAbs, n)))
}

// protectedReal reports whether real path r is a protected directory, inside
// one, or a protected entry.
func (g *guard) protectedReal(r string) bool {
	for a := r; a != g.root; {
		for i := range g.dirs {
			if d := &g.dirs[i]; len(d.prefixes) == 0 && a == d.real {
				return true
			}
		}
		if g.protectedEntry(filepath.Dir(a), filepath.Base(a), nil) {
			return true
		}
		if g.anyID {
			if fi, err := os.Stat(a); err == nil { // else a does not exist (yet)
				for i := range g.dirs {
					if d := &g.dirs[i]; len(d.prefixes) == 0 && d.fi != nil && os.SameFile(fi, d.fi) {
						return true
					}
				}
			}
		}
		up := filepath.Dir(a)
		if up == a {
			break
		}
		a = up
	}
	return false
}

// protectedEntry reports whether name in the directory with real path dir
// (whose FileInfo is *dirFi, fetched on first need) is a prefix-protected
// entry.
func (g *guard) protectedEntry(dir, name string, dirFi *fs.FileInfo) bool {
	lower := strings.ToLower(name)
	var own fs.FileInfo
	if dirFi == nil {
		dirFi = &own
	}
	for i := range g.dirs {
		d := &g.dirs[i]
		if !hasAnyPrefix(lower, d.prefixes) {
			continue
		}
		if dir == d.real {
			return true
		}
		if d.fi != nil {
			if *dirFi == nil {
				fi, err := os.Stat(dir)
				if err != nil {
					return false
				}
				*dirFi = fi
			}
			if os.SameFile(*dirFi, d.fi) {
				return true
			}
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// holdsState reports whether removing or moving os.Root name n (the entry
// itself: a final symlink is not followed) would take a protected directory
// or entry with it, or touch one.
func (g *guard) holdsState(rootAbs, n string) bool {
	if g == nil {
		return false
	}
	abs := filepath.Join(rootAbs, n)
	r := filepath.Join(realPath(filepath.Dir(abs)), filepath.Base(abs))
	if g.protectedReal(r) {
		return true
	}
	fi, err := os.Lstat(r)
	if err != nil || !fi.IsDir() {
		return false
	}
	for i := range g.dirs {
		if within(g.dirs[i].real, r) || g.dirs[i].contains(fi) {
			return true
		}
	}
	return false
}

// filter drops from the listing of the directory with os.Root name n the
// entries that are Quire's state. They are omitted, as hidden files are,
// rather than shown and refused: a listing that names them would disclose
// what a direct request answers with "not found".
func (g *guard) filter(rootAbs, n string, entries []fs.DirEntry) []fs.DirEntry {
	if g == nil {
		return entries
	}
	dir := realPath(filepath.Join(rootAbs, n))
	var dirFi fs.FileInfo
	out := entries[:0]
	for _, e := range entries {
		if !g.protectedChild(dir, e, &dirFi) {
			out = append(out, e)
		}
	}
	return out
}

func (g *guard) protectedChild(dir string, e fs.DirEntry, dirFi *fs.FileInfo) bool {
	name := e.Name()
	if g.protectedEntry(dir, name, dirFi) {
		return true
	}
	p := filepath.Join(dir, name)
	switch {
	case e.Type()&fs.ModeSymlink != 0:
		return g.protectedReal(realPath(p))
	case e.IsDir():
		fi, err := e.Info() // a mount point's Lstat is the mounted directory's
		for i := range g.dirs {
			d := &g.dirs[i]
			if len(d.prefixes) > 0 {
				continue
			}
			if p == d.real || (err == nil && d.fi != nil && os.SameFile(fi, d.fi)) {
				return true
			}
		}
	}
	return false
}
