// Package contents is the contents service behind /api/contents and
// /files: models, notebooks, checkpoints, untitled names, copies, renames,
// deletes and conflict-safe saves. It reaches storage only through the Store
// interface it declares (fsstore on disk; storetest is the contract) and
// notebook trust only through Notary.
package contents

import (
	"context"
	"io"
	"log/slog"
	"time"

	"quire/internal/audit"
	"quire/internal/bigbuf"
	"quire/internal/nbformat"
)

// HashAlgorithm is the only hash Quire computes for hash=1 and If-Match.
const HashAlgorithm = "sha256"

// DefaultHideGlobs returns the names left out of directory listings
// unless Options.HideGlobs says otherwise (jupyter_server's defaults): a
// new slice each time, so no caller can change another's.
func DefaultHideGlobs() []string {
	return []string{"__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"}
}

// DefaultMaxCopyDirSize caps directory copies (jupyter_server's 500 MB).
const DefaultMaxCopyDirSize = 500 << 20

// Options are the service's knobs. The zero value is usable (hidden files
// refused, permanent deletes, default globs and copy limit); app sets
// DeleteToTrash from the config, whose default is true.
type Options struct {
	// AllowHidden serves and writes names starting with "." (Jupyter's
	// allow_hidden). When false, hidden paths answer 404 on reads and 400 on
	// writes, and listings skip dot-names.
	AllowHidden bool
	// DeleteToTrash moves deleted files to the store's trash (the
	// freedesktop trash for fsstore) instead of removing them. When false a
	// non-empty directory is refused unless it holds only checkpoints.
	DeleteToTrash bool
	// HideGlobs are path.Match patterns for names skipped in listings. nil
	// means DefaultHideGlobs(); an empty non-nil slice hides nothing.
	HideGlobs []string
	// MaxCopyDirSize caps the total size of a directory copy in bytes;
	// 0 means DefaultMaxCopyDirSize.
	MaxCopyDirSize int64
	// UploadExpiry is how long a chunked upload may go without a chunk
	// before SweepUploads removes its collected chunks; 0 means
	// DefaultUploadExpiry, negative never.
	UploadExpiry time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Outputs knows which rich outputs a save may sign (see Outputs). nil
	// knows none: a save then signs only notebooks without rich output.
	Outputs Outputs
	// Memory is the server-wide request memory budget charged by reads of
	// large files and notebooks before they allocate (see Footprint); nil
	// means none.
	Memory Budget
	// Buffers keeps the large buffers the service reads files into for
	// reuse (nil keeps none). The service owns every buffer it takes from
	// it: one that backs a returned Model goes back at Model.Release.
	Buffers *bigbuf.Cache
	// BytesRead and BytesWritten, when set, are told how many file bytes
	// the service read from and wrote to the store (metrics), whichever of
	// the store's ways it used.
	BytesRead, BytesWritten func(n int)
	// Audit records every change the service makes (nil: off).
	Audit *audit.Log
}

// Budget is a server-wide allowance of request memory
// (*membudget.Budget): Acquire charges n bytes and returns the function
// that gives them back, or an error (errkind.Retry while requests in
// flight hold the budget, errkind.TooLarge if n exceeds all of it).
type Budget interface {
	Acquire(n int64) (release func(), err error)
}

// fileMemoryFactor estimates a file GET's peak as a multiple of the file:
// its bytes, the string or base64 copy, the rendered response.
const fileMemoryFactor = 6

// Footprint estimates the peak memory, in bytes, of handling content of
// type typ ("notebook", or a file's) in a request: nbformat.FootprintFor for
// a notebook, a multiple of its size for a file.
func Footprint(typ string, content []byte) int64 {
	if typ == TypeNotebook {
		return nbformat.FootprintFor(content)
	}
	return fileMemoryFactor * int64(len(content))
}

// FootprintFloor is the least Footprint of n bytes of content of any
// type, for a charge made before they are read.
func FootprintFloor(n int64) int64 {
	return min(nbformat.FootprintFloor(n), fileMemoryFactor*n)
}

// charge charges n bytes to the memory budget, if any.
func (s *Service) charge(n int64) (release func(), err error) {
	if s.opt.Memory == nil {
		return func() {}, nil
	}
	return s.opt.Memory.Acquire(n)
}

// Notary checks and signs notebooks (trust, spec §6). It is optional: with
// no notary every notebook loads untrusted and nothing is signed.
type Notary interface {
	// Trusted reports whether nb's signature is known.
	Trusted(nb *nbformat.Notebook) bool
	// Sign records nb's signature.
	Sign(nb *nbformat.Notebook) error
}

// Outputs remembers the rich outputs this server may vouch for: those its
// own kernels produced, and those of notebooks found trusted (on load, or
// on disk before a save) or trusted by the user. A save signs a notebook
// only when every rich output in it is known here, whatever trust flags
// the client sent: an uploaded or pasted notebook cannot sign itself.
// Implementations bound their memory; forgetting only costs a signature.
type Outputs interface {
	// Known reports whether an output with this mimebundle and metadata
	// (as nbformat decodes them; nil for a missing one) was remembered.
	// Neither method may keep data or metadata, or a string in them, past
	// the call: they point into a buffer the next cell is decoded into.
	Known(data, metadata any) bool
	// Remember records an output as one the server may sign.
	Remember(data, metadata any)
}

// Info describes one stored file or directory.
type Info struct {
	Name     string // last path segment, "" for the root
	Dir      bool
	Size     int64 // bytes; 0 for directories
	ModTime  time.Time
	Created  time.Time // birth or change time; ModTime if unknown
	Writable bool
	// Mode holds the permission bits where the store has them (0 if not).
	Mode uint32
	// Version identifies this content of a file for a ConditionalWriter
	// (the S3 ETag); "" where the store has none.
	Version string
}

// Store is what the service needs from storage. Paths are clean API paths
// ("" is the root, "/"-separated, no "." or ".."). Errors carry errkind
// kinds: NotFound for a missing path or parent, Conflict for an existing
// target where none may be, Forbidden for permission errors, Invalid for
// operations the type of the target forbids (writing over a directory).
type Store interface {
	// Clean normalises an API path into the store's form ("" = root),
	// refusing paths that could leave it (NotFound, as Jupyter answers
	// paths outside the root). It is the store's containment rule, so the
	// service never keeps a second copy of it.
	Clean(p string) (string, error)
	// Stat describes p, following symlinks the store allows.
	Stat(ctx context.Context, p string) (Info, error)
	// List describes the entries of directory dir in any order, skipping
	// entries that cannot be described (dangling or refused symlinks,
	// devices, sockets) and the store's own temporary files.
	List(ctx context.Context, dir string) ([]Info, error)
	// Open opens file p for reading.
	Open(ctx context.Context, p string) (io.ReadSeekCloser, Info, error)
	// Write atomically replaces (or creates) file p with r's bytes: readers
	// see the old or the new file, never a mix; a failure (including one
	// from r) leaves the old file. An existing file keeps its mode. The
	// parent directory must exist.
	Write(ctx context.Context, p string, r io.Reader) (Info, error)
	// Append adds r's bytes to the end of file p, creating it if missing.
	Append(ctx context.Context, p string, r io.Reader) (Info, error)
	// Mkdir creates directory p; its parent must exist (Conflict if p
	// exists).
	Mkdir(ctx context.Context, p string) error
	// Rename moves from to to, replacing a file at to; to's parent must
	// exist.
	Rename(ctx context.Context, from, to string) error
	// Remove deletes p and, for a directory, everything below it.
	Remove(ctx context.Context, p string) error
	// Trash moves p to the store's trash; errkind.Unavailable if the store
	// has none.
	Trash(ctx context.Context, p string) error
}

// ConditionalWriter is a Store that can make a write conditional on the
// version of the file it replaces, so that a save guarded by If-Match
// stays safe when several servers write the same files (each server's
// path locks only order its own requests). The service uses it for saves
// that carry a precondition; other stores get compare-then-write under the
// path lock.
type ConditionalWriter interface {
	// WriteIf is Write, done only if p is still at version (an
	// Info.Version from Stat), or still missing when version is "";
	// otherwise it fails with errkind.Stale and leaves p as it is.
	WriteIf(ctx context.Context, p string, r io.Reader, version string) (Info, error)
}

// Multipart is a Store that assembles chunked uploads itself (S3 cannot
// append: the chunks become one multipart upload). Stores without it
// collect chunks with Write and Append in a hidden sibling file.
type Multipart interface {
	// StartUpload begins an upload that will replace (or create) file p
	// when completed. p's parent must exist and p must not be a directory.
	StartUpload(ctx context.Context, p string) (Upload, error)
}

// Upload is a chunked upload in progress. Nothing of it is visible at its
// path until Complete; Abort (or an expiry the service enforces) gives
// back what it collected.
type Upload interface {
	// Add appends r's bytes and returns the upload's size so far. After a
	// failed Add the upload can only be aborted.
	Add(ctx context.Context, r io.Reader) (int64, error)
	// Complete makes the bytes added so far the content of the file. A
	// non-nil version makes it conditional, as ConditionalWriter.WriteIf:
	// done only if the file is still at *version (still missing when
	// *version is ""), else errkind.Stale and the file is left as it is.
	Complete(ctx context.Context, version *string) (Info, error)
	// Abort discards the upload.
	Abort(ctx context.Context) error
}

// Copier is a Store that copies a file without the bytes passing through
// Quire (an S3 server-side copy). Copy replaces to like Write.
type Copier interface {
	Copy(ctx context.Context, from, to string) (Info, error)
}

// StatLister is a Store that can describe p and, when p is a directory,
// list it in one step: on S3 the listing of a directory is what proves it
// exists, so a Stat before the List would ask the service twice. The
// entries are List's; for a file (or a directory it would not list) they
// are nil and listed is false.
type StatLister interface {
	StatList(ctx context.Context, p string) (info Info, entries []Info, listed bool, err error)
}

// Service implements the contents API over a Store.
type Service struct {
	store Store
	// The store's optional interfaces, nil where it has none.
	cond    ConditionalWriter
	multi   Multipart
	copier  Copier
	notary  Notary
	opt     Options
	log     *slog.Logger
	locks   locker
	uploads uploads
	// examined: notebook files whose trusted outputs were already learnt.
	examined examined
}

// New returns a service over store. notary may be nil (no trust); log may
// be nil (discard).
func New(store Store, notary Notary, opt Options, log *slog.Logger) *Service {
	if opt.HideGlobs == nil {
		opt.HideGlobs = DefaultHideGlobs()
	}
	if opt.MaxCopyDirSize <= 0 {
		opt.MaxCopyDirSize = DefaultMaxCopyDirSize
	}
	if opt.UploadExpiry == 0 {
		opt.UploadExpiry = DefaultUploadExpiry
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, notary: notary, opt: opt, log: log, locks: locker{m: map[string]*lockEntry{}}}
	// The store's optional ways, found once on the store itself, so that
	// counting (below) does not hide them.
	s.cond, _ = store.(ConditionalWriter)
	s.multi, _ = store.(Multipart)
	s.copier, _ = store.(Copier)
	if opt.BytesRead != nil || opt.BytesWritten != nil {
		s.countBytes(opt.BytesRead, opt.BytesWritten)
	}
	return s
}
