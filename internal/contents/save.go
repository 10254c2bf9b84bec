package contents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"quire/internal/errkind"
	"quire/internal/nbformat"
)

// SaveRequest is a PUT body, split into its fields by the handler.
type SaveRequest struct {
	// Type, Format: as sent ("" if absent).
	Type, Format string
	// Path is the body's "path" (only checked for hiddenness).
	Path string
	// Content is the raw JSON "content" value; nil if absent or null.
	Content json.RawMessage
	// Chunk is the upload chunk number: 0 for a whole save, then 1, 2, …
	// and -1 for the last.
	Chunk int
	// Cond guards the save: a whole save, or a chunked upload (sent with
	// chunk 1, and checked again against the file when the last chunk
	// completes the upload, so a save made by someone else in between is
	// never overwritten).
	Cond Precondition
	// Hash asks for the sha256 of the bytes written (whole saves and the
	// last chunk), computed under the save's lock, so a client can make its
	// next save conditional on exactly what it wrote.
	Hash bool
}

// Precondition is a conditional-request guard.
type Precondition struct {
	// IfMatch is the expected hex sha256 of the current file (quotes and a
	// W/ prefix are ignored; "*" means "exists"). A missing file fails.
	IfMatch string
	// IfUnmodifiedSince fails when the file changed after it (second
	// precision). Ignored when IfMatch is set or the file is missing.
	IfUnmodifiedSince time.Time
}

func (c Precondition) empty() bool { return c.IfMatch == "" && c.IfUnmodifiedSince.IsZero() }

// check evaluates the precondition against p; callers hold p's lock.
func (s *Service) check(ctx context.Context, p string, c Precondition, info Info, exists bool) error {
	if c.empty() {
		return nil
	}
	stale := func(why string) error {
		return errkind.Newf(errkind.Stale, "%s changed on the server (%s); reload it before saving", p, why)
	}
	if c.IfMatch != "" {
		if !exists || info.Dir {
			return stale("it no longer exists")
		}
		want := strings.TrimSpace(c.IfMatch)
		if want == "*" {
			return nil
		}
		h, err := s.hashFile(ctx, p)
		if err != nil {
			return fmt.Errorf("hash %s: %w", p, err)
		}
		for tag := range strings.SplitSeq(want, ",") {
			tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
			if strings.EqualFold(tag, h) {
				return nil
			}
		}
		return stale("hash mismatch")
	}
	if exists && info.ModTime.Truncate(time.Second).After(c.IfUnmodifiedSince) {
		return stale("modified since")
	}
	return nil
}

// save handles a PUT with a non-empty body: it saves over an existing file
// (created false) or creates p (created true), and returns the content-less
// model.
func (s *Service) save(ctx context.Context, p string, req SaveRequest) (m *Model, created bool, err error) {
	if p, err = s.savePath(p, req.Path); err != nil {
		return nil, false, err
	}
	// Finish the save even if the client goes away mid-write.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()

	unlock := s.locks.lock(p)
	defer unlock()

	info, exists, err := s.statTarget(ctx, p)
	if err != nil {
		return nil, false, err
	}
	if req.Chunk != 0 {
		return s.saveChunk(ctx, p, req, info, exists)
	}
	isFile := exists && !info.Dir
	if err := completeSave(p, &req, info, exists); err != nil {
		return nil, false, err
	}
	if err := s.check(ctx, p, req.Cond, info, exists); err != nil {
		return nil, false, err
	}
	res, err := s.saveContent(ctx, p, req, isFile, exists, s.guard(req.Cond, info, exists))
	if err != nil {
		return nil, false, err
	}
	m = res.model
	if m == nil {
		m = baseModel(p, res.info) // as Get describes what the store just wrote
	}
	if res.hash != "" {
		m.Hash, m.HashAlgorithm = res.hash, HashAlgorithm
	}
	m.Message = res.message
	return m, !isFile, nil
}

// savePath cleans a save's target p and refuses it, or the body's path,
// when hidden.
func (s *Service) savePath(p, bodyPath string) (string, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return "", err
	}
	bodyPath, _ = s.cleanPath(bodyPath)
	if p == "" || s.hidden(p) || s.hidden(bodyPath) {
		return "", errkind.Newf(errkind.Invalid, "Cannot create file or directory '%s'", p)
	}
	return p, nil
}

// statTarget describes p before a save; exists is false when it is
// missing.
func (s *Service) statTarget(ctx context.Context, p string) (info Info, exists bool, err error) {
	info, err = s.store.Stat(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return Info{}, false, nil
		}
		return Info{}, false, fmt.Errorf("stat %s: %w", p, err)
	}
	return info, true, nil
}

// completeSave fills in the defaults of a whole save that creates p
// (Jupyter's new()) and refuses requests that name no type or content, or
// that would write a file over a directory.
func completeSave(p string, req *SaveRequest, info Info, exists bool) error {
	if !exists || info.Dir {
		if req.Type == "" {
			_, name := split(p)
			req.Type = typeOf(name)
		}
		if req.Content == nil && req.Type != TypeDirectory {
			if req.Type == TypeNotebook {
				req.Content = json.RawMessage(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`)
			} else {
				req.Content, req.Format = json.RawMessage(`""`), "text"
			}
		}
	}
	switch req.Type {
	case "":
		return errkind.New(errkind.Invalid, "No file type provided", nil)
	case TypeDirectory, TypeNotebook, TypeFile:
	default:
		req.Type = TypeFile
	}
	if req.Content == nil && req.Type != TypeDirectory {
		return errkind.New(errkind.Invalid, "No file content provided", nil)
	}
	if exists && info.Dir && req.Type != TypeDirectory {
		return errkind.Newf(errkind.Invalid, "%s is a directory", p)
	}
	return nil
}

// guard is the version a save guarded by cond must still find when it
// writes, when the store can check it (ConditionalWriter): the check
// above compared the file at info's version, and another server may
// write between that and the write. nil means an ordinary write.
func (s *Service) guard(cond Precondition, info Info, exists bool) *string {
	if s.cond == nil || cond.empty() || info.Dir || (exists && info.Version == "") {
		return nil // (an object without an ETag cannot be guarded)
	}
	v := info.Version // "" for a missing file: it must still be missing
	return &v
}

// write is the store's Write, made conditional on version *g if g is set.
func (s *Service) write(ctx context.Context, p string, r io.Reader, g *string) (Info, error) {
	if g != nil {
		return s.cond.WriteIf(ctx, p, r, *g)
	}
	return s.store.Write(ctx, p, r)
}

// saved is what a save wrote.
type saved struct {
	info    Info   // the store's description of the file written
	model   *Model // set instead of info for a directory
	message string // the notebook validation message, if any
	hash    string // of the bytes written, if asked for
}

// saveContent writes req's content to p as its type says. The hash of a
// file is that of the bytes written, computed as they go to the store,
// not by reading the file back: p's lock is still held.
func (s *Service) saveContent(ctx context.Context, p string, req SaveRequest, isFile, exists bool, g *string) (saved, error) {
	switch req.Type {
	case TypeDirectory:
		if isFile {
			return saved{}, errkind.Newf(errkind.Invalid, "%s is not a directory", p)
		}
		if !exists {
			if err := s.store.Mkdir(ctx, p); err != nil {
				return saved{}, s.writeErr(p, err)
			}
		}
		m, err := s.Get(ctx, p, GetOptions{})
		return saved{model: m}, err
	case TypeNotebook:
		return s.saveNotebook(ctx, p, req.Content, req.Hash, g)
	}
	data, err := decodeFileContent(p, req.Format, req.Content)
	if err != nil {
		return saved{}, err
	}
	info, err := s.write(ctx, p, bytes.NewReader(data), g)
	if err != nil {
		return saved{}, s.writeErr(p, err)
	}
	res := saved{info: info}
	if req.Hash {
		res.hash = hashBytes(data)
	}
	return res, nil
}

// writeErr gives write failures their client message.
func (s *Service) writeErr(p string, err error) error {
	switch errkind.Of(err) {
	case errkind.Forbidden:
		return errkind.New(errkind.Forbidden, "Permission denied: "+p, err)
	case errkind.NotFound:
		dir, _ := split(p)
		return errkind.New(errkind.NotFound, "No such parent directory: "+dir, err)
	case errkind.Storage:
		return errkind.New(errkind.Storage, "Cannot save "+p+": the disk is full (or the disk quota is used up); free some space and save again", err)
	case errkind.Internal:
		return errkind.New(errkind.Internal, "Unexpected error while saving file: "+p, err)
	}
	return err
}

// decodeFileContent turns a file's "content" into bytes.
func decodeFileContent(p, format string, raw json.RawMessage) ([]byte, error) {
	if format != "text" && format != "base64" {
		return nil, errkind.New(errkind.Invalid, "Must specify format of file contents as 'text' or 'base64'", nil)
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return nil, errkind.Newf(errkind.Invalid, "Encoding error saving %s: content must be a string", p)
	}
	if format == "text" {
		return []byte(text), nil
	}
	data, err := decodeBase64(text)
	if err != nil {
		return nil, errkind.New(errkind.Invalid, fmt.Sprintf("Encoding error saving %s: invalid base64: %v", p, err), err)
	}
	return data, nil
}

// saveNotebook parses, signs (if the server can vouch for its rich
// outputs: trust.go) and writes a notebook; it returns, with what the
// store wrote, the validation message ("" if valid) and, if withHash, the
// hash of the bytes written.
//
// A large notebook is read cell by cell from raw (nbformat.FromJSONFor)
// and written as it is rendered, so the save holds little more than raw
// whatever the notebook's shape.
func (s *Service) saveNotebook(ctx context.Context, p string, raw json.RawMessage, withHash bool, g *string) (saved, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return saved{}, errkind.Newf(errkind.Invalid, "Unreadable notebook content for %s: content must be a JSON object", p)
	}
	nb, err := nbformat.FromJSONFor(raw)
	if err != nil {
		return saved{}, errkind.New(errkind.Invalid, fmt.Sprintf("Unreadable notebook content for %s: %s", p, clientErr(err)), err)
	}
	if err := nb.CheckCells(); err != nil {
		return saved{}, errkind.New(errkind.Invalid, fmt.Sprintf("Unreadable notebook content for %s: %v", p, err), err)
	}
	var res saved
	if verr := nb.Validate(); verr != nil {
		res.message = "Notebook validation failed: " + clientErr(verr)
	}
	// The cells' trust flags prove nothing (trust.go): sign only what the
	// server can vouch for, having learnt what the version on disk vouches
	// for if that can make a difference.
	sign := s.notary != nil && s.signable(nb)
	if !sign && s.learnOnDisk(ctx, p, len(raw)) {
		sign = s.signable(nb)
	}
	if sign {
		if err := s.notary.Sign(nb); err != nil {
			s.log.Warn("could not sign notebook", "path", p, "err", err)
		}
	}
	if res.info, res.hash, err = s.writeNotebook(ctx, p, nb, withHash, g); err != nil {
		return saved{}, err
	}
	s.examined.mark(p, res.info)
	if _, err := s.store.Stat(ctx, checkpointPath(p)); errkind.Is(err, errkind.NotFound) {
		if _, err := s.createCheckpoint(ctx, p); err != nil {
			s.log.Warn("could not create checkpoint", "path", p, "err", err)
		}
	}
	return res, nil
}

// writeNotebook renders nb in nbformat's file form straight into the
// store (the store's atomic write: a failure leaves the old file), and
// returns what the store wrote and, if withHash, the hash of the bytes.
func (s *Service) writeNotebook(ctx context.Context, p string, nb *nbformat.Notebook, withHash bool, g *string) (Info, string, error) {
	pr, pw := io.Pipe()
	h := sha256.New()
	var w io.Writer = pw
	if withHash {
		w = io.MultiWriter(pw, h)
	}
	encErr := make(chan error, 1)
	go func() {
		err := nbformat.Write(w, nb)
		pw.CloseWithError(err)
		encErr <- err
	}()
	info, err := s.write(ctx, p, pr, g)
	// Unblock the encoder if the store stopped reading (a full disk), and
	// wait for it: nb and the bytes behind it are not to be used once
	// this returns.
	pr.CloseWithError(errStoreStopped)
	if eerr := <-encErr; eerr != nil && !errors.Is(eerr, errStoreStopped) {
		return Info{}, "", errkind.New(errkind.Invalid, fmt.Sprintf("Cannot write notebook %s: %s", p, clientErr(eerr)), eerr)
	}
	if err != nil {
		return Info{}, "", s.writeErr(p, err)
	}
	var hash string
	if withHash {
		hash = hex.EncodeToString(h.Sum(nil))
	}
	return info, hash, nil
}

// errStoreStopped ends a notebook's rendering when the store has stopped
// reading it.
var errStoreStopped = errors.New("the store stopped reading")

// uploadPath is where a chunked upload of p collects until its last chunk.
func uploadPath(p string) string {
	dir, name := split(p)
	return join(dir, "."+name+UploadSuffix)
}

// UploadSuffix ends the names of in-progress chunked uploads; stores skip
// such names in listings.
const UploadSuffix = ".quire-upload"

// saveChunk handles one chunk of a chunked upload. Chunks collect in a
// hidden sibling file (".<name>.quire-upload"): chunk 1 creates or
// truncates it, later chunks append, and chunk -1 appends and then renames
// it over p in one step. Readers of p therefore see the old file or the
// whole new one, never a partial upload (Jupyter appends to p in place).
// A chunk other than 1 with no upload in progress is refused.
func (s *Service) saveChunk(ctx context.Context, p string, req SaveRequest, info Info, exists bool) (*Model, bool, error) {
	if req.Chunk < -1 || req.Chunk == 0 {
		return nil, false, errkind.Newf(errkind.Invalid, "Invalid chunk number %d", req.Chunk)
	}
	_, name := split(p)
	typ := req.Type
	if typ == "" {
		typ = typeOf(name)
	}
	if typ != TypeFile {
		return nil, false, errkind.Newf(errkind.Invalid, "File type \"%s\" is not supported for large file transfer", typ)
	}
	if req.Content == nil {
		return nil, false, errkind.New(errkind.Invalid, "No file content provided", nil)
	}
	if exists && info.Dir {
		return nil, false, errkind.Newf(errkind.Invalid, "%s is a directory", p)
	}
	data, err := decodeFileContent(p, req.Format, req.Content)
	if err != nil {
		return nil, false, err
	}
	if ms := s.multi; ms != nil {
		return s.saveChunkMultipart(ctx, ms, p, req, data, exists, info)
	}
	up := uploadPath(p)
	var upInfo Info
	if req.Chunk == 1 {
		if err := s.check(ctx, p, req.Cond, info, exists); err != nil {
			return nil, false, err
		}
		if upInfo, err = s.store.Write(ctx, up, bytes.NewReader(data)); err != nil {
			return nil, false, s.abandonUpload(ctx, p, err)
		}
		s.uploads.guard(p, uploadGuard{cond: req.Cond})
	} else {
		if _, err := s.store.Stat(ctx, up); err != nil {
			if errkind.Is(err, errkind.NotFound) {
				return nil, false, s.noUpload(p, req.Chunk)
			}
			return nil, false, fmt.Errorf("stat upload: %w", err)
		}
		if upInfo, err = s.store.Append(ctx, up, bytes.NewReader(data)); err != nil {
			// The append may have written part of the chunk: the upload
			// can only go on wrong, so it ends here.
			return nil, false, s.abandonUpload(ctx, p, err)
		}
	}
	s.uploads.touch(p, s.opt.Now())
	if req.Chunk == -1 {
		// Chunk 1's precondition, again: p may have changed since (another
		// server, or a tool on the same disk). The rename follows under p's
		// lock, as a whole save's write follows its check.
		if err := s.recheck(ctx, p, s.uploads.guardOf(p).cond); err != nil {
			return nil, false, s.abandonUpload(ctx, p, err)
		}
		if err := s.store.Rename(ctx, up, p); err != nil {
			return nil, false, s.writeErr(p, err)
		}
		s.uploads.done(p)
		m, err := s.Get(ctx, p, GetOptions{Hash: req.Hash})
		return m, false, err
	}
	return inProgress(p, name, upInfo), req.Chunk == 1 && !exists, nil
}

// recheck evaluates an upload's precondition against p as it is now.
func (s *Service) recheck(ctx context.Context, p string, cond Precondition) error {
	if cond.empty() {
		return nil
	}
	info, exists, err := s.statTarget(ctx, p)
	if err != nil {
		return err
	}
	return s.check(ctx, p, cond, info, exists)
}

// noUpload refuses a chunk after the first with no upload in progress.
func (s *Service) noUpload(p string, chunk int) error {
	return errkind.Newf(errkind.Invalid, "No chunked upload in progress for %s (chunk %d came before chunk 1, or the upload had no chunk for %s and was discarded)", p, chunk, s.opt.UploadExpiry)
}

// inProgress describes p as it will be once its upload completes.
func inProgress(p, name string, upInfo Info) *Model {
	upInfo.Name = name
	m := baseModel(p, upInfo)
	m.Type, m.Mimetype = TypeFile, MimeType(name)
	return m
}

// saveChunkMultipart is saveChunk on a store that assembles uploads
// itself: chunk 1 starts a store upload (aborting any earlier one of p),
// each chunk is added to it and chunk -1 completes it, which makes the
// whole new file visible in one step.
func (s *Service) saveChunkMultipart(ctx context.Context, ms Multipart, p string, req SaveRequest, data []byte, exists bool, info Info) (*Model, bool, error) {
	_, name := split(p)
	up := s.uploads.part(p)
	if req.Chunk == 1 {
		if err := s.check(ctx, p, req.Cond, info, exists); err != nil {
			return nil, false, err
		}
		nu, err := ms.StartUpload(ctx, p)
		if err != nil {
			return nil, false, s.writeErr(p, err)
		}
		if old := s.uploads.start(p, nu); old != nil {
			if err := old.Abort(ctx); err != nil {
				s.log.Warn("cannot abort a replaced chunked upload", "path", p, "err", err)
			}
		}
		s.uploads.guard(p, uploadGuard{cond: req.Cond, version: s.guard(req.Cond, info, exists)})
		up = nu
	} else if up == nil {
		return nil, false, s.noUpload(p, req.Chunk)
	}
	size, err := up.Add(ctx, bytes.NewReader(data))
	if err != nil {
		return nil, false, s.abandonUpload(ctx, p, err)
	}
	s.uploads.touch(p, s.opt.Now())
	if req.Chunk == -1 {
		// Chunk 1's precondition holds the completion: as a conditional
		// write on the version chunk 1 was checked against where the store
		// can, else checked again just before it.
		g := s.uploads.guardOf(p)
		if g.version == nil {
			if err := s.recheck(ctx, p, g.cond); err != nil {
				return nil, false, s.abandonUpload(ctx, p, err)
			}
		}
		_, err := up.Complete(ctx, g.version)
		s.uploads.done(p)
		if err != nil {
			if aerr := up.Abort(ctx); aerr != nil {
				s.log.Warn("cannot abort a failed chunked upload", "path", p, "err", aerr)
			}
			return nil, false, s.writeErr(p, err)
		}
		m, err := s.Get(ctx, p, GetOptions{Hash: req.Hash})
		return m, false, err
	}
	return inProgress(p, name, Info{Size: size, ModTime: s.opt.Now(), Created: s.opt.Now(), Writable: true}), req.Chunk == 1 && !exists, nil
}

// abandonUpload removes the chunks collected for p after a chunk could not
// be written (the disk is full, most likely: the space is given back) and
// returns the write error, telling the client to start the upload again.
// The caller holds p's lock.
func (s *Service) abandonUpload(ctx context.Context, p string, err error) error {
	if up := s.uploads.done(p); up != nil {
		if rerr := up.Abort(ctx); rerr != nil {
			s.log.Warn("cannot abort a failed chunked upload", "path", p, "err", rerr)
		}
	} else if rerr := s.store.Remove(ctx, uploadPath(p)); rerr != nil && !errkind.Is(rerr, errkind.NotFound) {
		s.log.Warn("cannot remove a failed chunked upload", "path", p, "err", rerr)
	}
	err = s.writeErr(p, err)
	var e *errkind.Error
	if errors.As(err, &e) {
		return &errkind.Error{Kind: e.Kind, Msg: e.Msg + " (the chunks uploaded so far were discarded: start the upload again)", Reason: e.Reason, Err: e.Err}
	}
	return err
}

// copyFile copies file from to to through the store (server-side where
// the store can).
func (s *Service) copyFile(ctx context.Context, from, to string) (Info, error) {
	if c := s.copier; c != nil {
		return c.Copy(ctx, from, to)
	}
	f, _, err := s.store.Open(ctx, from)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	return s.store.Write(ctx, to, io.Reader(f))
}
