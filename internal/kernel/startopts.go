package kernel

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"

	"quire/internal/errkind"
	"quire/internal/fsroot"
)

// StartOptions say where a kernel starts and for which notebook.
type StartOptions struct {
	// Dir is the kernel's working directory, absolute. StartIn resolves it
	// inside the server's root.
	Dir string
	// Path is the API path of the notebook the kernel serves ("" = none).
	// The kernel sees it as JPY_SESSION_NAME, its connection file as
	// jupyter_session.
	Path string
}

// sessionNameEnv is the variable telling a kernel which notebook it runs
// (ipykernel sets __session__ from it).
const sessionNameEnv = "JPY_SESSION_NAME"

// StartIn resolves the StartOptions of a kernel for the notebook at API path
// p: it starts in the notebook's directory inside root, or the nearest
// existing one above it. The directory is looked up through root like every
// contents path, so a symlink leaving the root, or a directory root
// protects (Quire's own state), does not become the kernel's working
// directory unless root would serve it. A path fsroot refuses as invalid
// starts in the root itself; one too long to exist is errkind.Invalid.
func StartIn(root *fsroot.Root, p string) (StartOptions, error) {
	dir, err := fsroot.Clean(p)
	if errors.Is(err, fsroot.ErrNameTooLong) {
		return StartOptions{}, errkind.New(errkind.Invalid, fmt.Sprintf("path too long: a name may be at most %d bytes and a path at most %d bytes", fsroot.MaxName, fsroot.MaxPath), err)
	}
	o := StartOptions{Dir: root.Dir(), Path: p}
	if err != nil {
		return o, nil
	}
	for {
		if fi, err := root.Stat(dir); err == nil && fi.IsDir() {
			o.Dir = filepath.Join(root.Dir(), filepath.FromSlash(dir))
			return o, nil
		}
		if dir == "" {
			return o, nil
		}
		dir = path.Dir(dir)
		if dir == "." {
			dir = ""
		}
	}
}

// env is the environment the options add to a kernel's.
func (o StartOptions) env() map[string]string {
	if o.Path == "" {
		return nil
	}
	return map[string]string{sessionNameEnv: o.Path}
}
