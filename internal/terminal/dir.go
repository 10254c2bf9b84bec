package terminal

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// DirIn resolves a terminal's starting directory: cwd is a path inside
// root, as the contents API names it ("" = the root itself). It is looked
// up through root like every contents path, so ".." segments, a symlink
// leaving the root (unless --follow-symlinks) and Quire's own state
// directories are refused, as is a path that is not a directory. An
// absolute OS path is accepted only inside the root, as the path relative
// to it. Every refusal is errkind.Invalid with a message naming no OS path.
func DirIn(root *fsroot.Root, cwd string) (string, error) {
	p := cwd
	if filepath.IsAbs(cwd) {
		rel, err := filepath.Rel(root.Dir(), filepath.Clean(cwd))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", errkind.Newf(errkind.Invalid, "cwd %q is outside the root directory", cwd)
		}
		p = filepath.ToSlash(rel)
		if p == "." {
			p = ""
		}
	}
	clean, err := fsroot.Clean(p)
	if err != nil {
		if errors.Is(err, fsroot.ErrNameTooLong) {
			return "", errkind.New(errkind.Invalid, "cwd is too long", err)
		}
		return "", errkind.New(errkind.Invalid, fmt.Sprintf("cwd %q is not a path inside the root directory", cwd), err)
	}
	fi, err := root.Stat(clean)
	if err != nil {
		return "", errkind.New(errkind.Invalid, fmt.Sprintf("cwd %q is not a directory inside the root directory", cwd), err)
	}
	if !fi.IsDir() {
		return "", errkind.Newf(errkind.Invalid, "cwd %q is not a directory", cwd)
	}
	return filepath.Join(root.Dir(), filepath.FromSlash(clean)), nil
}
