package contents

import (
	"path"
	"regexp"
	"strings"
)

// cleanPath normalises an API path with the store's rule (fsroot's, on
// disk): slashes trimmed, empty and "." segments dropped, "..", NUL and
// backslashes refused.
func (s *Service) cleanPath(p string) (string, error) { return s.store.Clean(p) }

// split returns the directory and name of a clean path.
func split(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// Base is the last segment of clean path p ("" for the root), for stores.
func Base(p string) string {
	_, name := split(p)
	return name
}

// Parent is the directory of clean path p ("" for the root and names in
// it), for stores.
func Parent(p string) string {
	dir, _ := split(p)
	return dir
}

// join joins a clean directory and a name.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// isHidden reports whether any segment of clean path p starts with ".".
// The root is never hidden.
func isHidden(p string) bool {
	if p == "" {
		return false
	}
	if p[0] == '.' {
		return true
	}
	return strings.Contains(p, "/.")
}

// hidden is isHidden unless hidden files are allowed.
func (s *Service) hidden(p string) bool { return !s.opt.AllowHidden && isHidden(p) }

// hideName reports whether a listing skips name.
func (s *Service) hideName(name string) bool {
	if !s.opt.AllowHidden && strings.HasPrefix(name, ".") {
		return true
	}
	for _, g := range s.opt.HideGlobs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// typeOf is the model type for a non-directory name.
func typeOf(name string) string {
	if strings.HasSuffix(name, ".ipynb") {
		return TypeNotebook
	}
	return TypeFile
}

// splitName splits a name for incrementing (spec §2.3.5): at the last dot
// for .ipynb names, else at the first dot.
func splitName(name string) (base, suffix string) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && name[i+1:] == "ipynb" {
		return name[:i], name[i:]
	} else if i < 0 && name == "ipynb" {
		// Python's rpartition puts a dotless "ipynb" in the extension.
		return "", name
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// copySuffix matches a "-Copy<digits>." left by earlier copies.
var copySuffix = regexp.MustCompile(`-Copy\d*\.`)

// splitExt splits like Python's os.path.splitext: leading dots are part
// of the stem.
func splitExt(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || strings.Trim(name[:i], ".") == "" {
		return name, ""
	}
	return name[:i], name[i:]
}

// checkpointPath is where p's checkpoint lives.
func checkpointPath(p string) string {
	dir, name := split(p)
	stem, ext := splitExt(name)
	return join(join(dir, checkpointDir), stem+"-checkpoint"+ext)
}

const checkpointDir = ".ipynb_checkpoints"
