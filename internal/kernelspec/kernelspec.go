// Package kernelspec finds kernelspecs (kernel.json and its resource
// directory) on Jupyter's search path, serves their REST model and opens
// their resource files. It chooses the default kernelspec; package kernel
// starts kernels from what it finds.
package kernelspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"quire/internal/fsroot"
)

// SearchPath returns the kernelspec directories in Jupyter's order of
// precedence: each $JUPYTER_PATH entry, the user data dir
// ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else
// ~/.local/share/jupyter), /usr/local/share/jupyter and /usr/share/jupyter,
// each with "/kernels" appended. Empty entries and duplicates are dropped.
func SearchPath(getenv func(string) string) []string {
	var dirs []string
	for _, p := range filepath.SplitList(getenv("JUPYTER_PATH")) {
		if p != "" {
			dirs = append(dirs, p)
		}
	}
	switch {
	case getenv("JUPYTER_DATA_DIR") != "":
		dirs = append(dirs, getenv("JUPYTER_DATA_DIR"))
	case getenv("XDG_DATA_HOME") != "":
		dirs = append(dirs, filepath.Join(getenv("XDG_DATA_HOME"), "jupyter"))
	case getenv("HOME") != "":
		dirs = append(dirs, filepath.Join(getenv("HOME"), ".local", "share", "jupyter"))
	}
	dirs = append(dirs, "/usr/local/share/jupyter", "/usr/share/jupyter")
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		k := filepath.Join(d, "kernels")
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Spec is one kernelspec: a kernel.json and the directory holding it.
type Spec struct {
	// Name is the directory name, lowercased.
	Name string
	// Dir is the spec's resource directory.
	Dir                   string
	Argv                  []string
	DisplayName           string
	Language              string
	InterruptMode         string // "signal" (default) or "message"
	Env                   map[string]string
	Metadata              map[string]any
	KernelProtocolVersion string
	// Resources maps a resource key (kernel.js, kernel.css, logo-64x64, …)
	// to the file name inside Dir.
	Resources map[string]string
}

// Model is the REST shape of a kernelspec (api/kernelspecs).
type Model struct {
	Name      string            `json:"name"`
	Spec      ModelSpec         `json:"spec"`
	Resources map[string]string `json:"resources"`
}

// ModelSpec is the "spec" member of Model.
type ModelSpec struct {
	Argv                  []string          `json:"argv"`
	Env                   map[string]string `json:"env"`
	DisplayName           string            `json:"display_name"`
	Language              string            `json:"language"`
	InterruptMode         string            `json:"interrupt_mode"`
	Metadata              map[string]any    `json:"metadata"`
	KernelProtocolVersion string            `json:"kernel_protocol_version,omitempty"`
}

// Model returns the REST model; base is the server's base URL ("/" or
// "/prefix/"), to which resource URLs are relative.
func (s *Spec) Model(base string) Model {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	res := make(map[string]string, len(s.Resources))
	for key, file := range s.Resources {
		res[key] = base + "kernelspecs/" + s.Name + "/" + file
	}
	env := s.Env
	if env == nil {
		env = map[string]string{}
	}
	md := s.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return Model{
		Name: s.Name,
		Spec: ModelSpec{
			Argv: s.Argv, Env: env, DisplayName: s.DisplayName, Language: s.Language,
			InterruptMode: s.InterruptMode, Metadata: md, KernelProtocolVersion: s.KernelProtocolVersion,
		},
		Resources: res,
	}
}

// Open opens the resource file named file inside the spec's directory and
// returns its FileInfo. The name is resolved by fsroot, like every path of
// the contents API, so nothing outside Dir (no "..", no absolute path, no
// symlink leaving it) can be opened, and a FIFO cannot hold the request;
// directories are refused. The caller closes the file.
func (s *Spec) Open(file string) (*os.File, fs.FileInfo, error) {
	if file == "" {
		return nil, nil, fmt.Errorf("open kernelspec resource %q: %w", file, fs.ErrNotExist)
	}
	root, err := fsroot.Open(s.Dir, fsroot.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("open kernelspec dir: %w", err)
	}
	defer root.Close()
	f, fi, err := root.OpenInfo(file)
	if err != nil {
		return nil, nil, fmt.Errorf("open kernelspec resource %q: %w: %w", file, fs.ErrNotExist, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("open kernelspec resource %q: %w", file, fs.ErrNotExist)
	}
	return f, fi, nil
}

var validName = regexp.MustCompile(`^[a-z0-9._-]+$`)

// Specs finds kernelspecs in a list of directories.
//
// Every List/Get/Default re-reads the directories: it is a handful of
// directory listings and small JSON files, and a kernel installed while Quire
// runs shows up at once. Each broken kernel.json is warned about once per
// modification time, not on every read.
type Specs struct {
	dirs []string
	log  *slog.Logger

	// mu guards warned. Rule: a leaf lock, held only to read and update
	// the map, never while logging or reading the disk.
	mu     sync.Mutex
	warned map[string]int64 // path → mtime already warned about
}

// Load returns the kernelspecs found under dirs, earlier directories
// winning. log receives warnings about skipped specs.
func Load(dirs []string, log *slog.Logger) *Specs {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Specs{dirs: slices.Clone(dirs), log: log, warned: map[string]int64{}}
	s.scan() // warn early, at startup
	return s
}

// Dirs returns the directories searched.
func (s *Specs) Dirs() []string { return slices.Clone(s.dirs) }

// List returns every valid kernelspec, sorted by name.
func (s *Specs) List() []*Spec {
	m := s.scan()
	out := make([]*Spec, 0, len(m))
	for _, sp := range m {
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b *Spec) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Get returns the kernelspec named name (case-insensitive).
func (s *Specs) Get(name string) (*Spec, bool) {
	sp, ok := s.scan()[strings.ToLower(name)]
	return sp, ok
}

// Default returns the default kernelspec name: "python3" when present, else
// the first by name, else "".
func (s *Specs) Default() string {
	l := s.List()
	for _, sp := range l {
		if sp.Name == "python3" {
			return "python3"
		}
	}
	if len(l) > 0 {
		return l[0].Name
	}
	return ""
}

func (s *Specs) scan() map[string]*Spec {
	out := map[string]*Spec{}
	for _, dir := range s.dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.warn(dir, nil, "cannot read kernelspec directory", err)
			}
			continue
		}
		for _, e := range ents {
			name := strings.ToLower(e.Name())
			if _, seen := out[name]; seen {
				continue
			}
			path := filepath.Join(dir, e.Name(), "kernel.json")
			st, err := os.Stat(path)
			if err != nil || !st.Mode().IsRegular() {
				continue // not a kernelspec directory
			}
			if !validName.MatchString(name) {
				s.warn(path, st, "invalid kernelspec name (want [a-z0-9._-]+); skipped", nil)
				continue
			}
			sp, err := readSpec(filepath.Join(dir, e.Name()), name)
			if err != nil {
				s.warn(path, st, "broken kernelspec skipped", err)
				continue
			}
			out[name] = sp
		}
	}
	return out
}

func (s *Specs) warn(path string, st os.FileInfo, msg string, err error) {
	var mt int64
	if st != nil {
		mt = st.ModTime().UnixNano()
	}
	s.mu.Lock()
	old, done := s.warned[path]
	s.warned[path] = mt
	s.mu.Unlock()
	if done && old == mt {
		return
	}
	if err != nil {
		s.log.Warn(msg, "file", path, "err", err)
	} else {
		s.log.Warn(msg, "file", path)
	}
}

type kernelJSON struct {
	Argv                  []string          `json:"argv"`
	DisplayName           string            `json:"display_name"`
	Language              string            `json:"language"`
	InterruptMode         string            `json:"interrupt_mode"`
	Env                   map[string]string `json:"env"`
	Metadata              map[string]any    `json:"metadata"`
	KernelProtocolVersion string            `json:"kernel_protocol_version"`
}

const maxKernelJSON = 1 << 20

func readSpec(dir, name string) (*Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKernelJSON {
		return nil, errors.New("kernel.json larger than 1 MiB")
	}
	var kj kernelJSON
	if err := json.Unmarshal(b, &kj); err != nil {
		return nil, fmt.Errorf("parse kernel.json: %w", err)
	}
	if len(kj.Argv) == 0 {
		return nil, errors.New("kernel.json: argv missing or empty")
	}
	if kj.DisplayName == "" {
		return nil, errors.New("kernel.json: display_name missing")
	}
	switch kj.InterruptMode {
	case "":
		kj.InterruptMode = "signal"
	case "signal", "message":
	default:
		return nil, fmt.Errorf("kernel.json: interrupt_mode %q not signal or message", kj.InterruptMode)
	}
	sp := &Spec{
		Name: name, Dir: dir, Argv: kj.Argv, DisplayName: kj.DisplayName, Language: kj.Language,
		InterruptMode: kj.InterruptMode, Env: kj.Env, Metadata: kj.Metadata,
		KernelProtocolVersion: kj.KernelProtocolVersion, Resources: map[string]string{},
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		switch {
		case n == "kernel.js" || n == "kernel.css":
			sp.Resources[n] = n
		case strings.HasPrefix(n, "logo-"):
			sp.Resources[strings.TrimSuffix(n, filepath.Ext(n))] = n
		}
	}
	return sp, nil
}
