package contents

import (
	"context"
	"sync"
	"time"

	"quire/internal/errkind"
)

// DefaultUploadExpiry is how long a chunked upload may go without a chunk
// before SweepUploads removes what it had collected.
const DefaultUploadExpiry = time.Hour

// uploads tracks the chunked uploads in progress: the target path of each
// and when its last chunk arrived. An upload the client abandons (a
// cancelled browser upload, a closed laptop) would otherwise leave its
// hidden ".<name>.quire-upload" file behind for good.
type uploads struct {
	mu   sync.Mutex
	last map[string]time.Time // by target path
	// parts are the uploads a Multipart store assembles, by target path.
	parts map[string]Upload
	// guards are the preconditions chunk 1 was checked against, by
	// target path, checked again when the upload completes.
	guards map[string]uploadGuard
}

// uploadGuard is what an upload's completion must still find: chunk 1's
// precondition and, on a ConditionalWriter store, the version of the file
// it was checked against (nil: none to hold the store to).
type uploadGuard struct {
	cond    Precondition
	version *string
}

// guard records g as p's upload's guard.
func (u *uploads) guard(p string, g uploadGuard) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.guards == nil {
		u.guards = map[string]uploadGuard{}
	}
	u.guards[p] = g
}

// guardOf returns p's upload's guard (empty if none).
func (u *uploads) guardOf(p string) uploadGuard {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.guards[p]
}

// start records up as p's upload; it returns the upload it replaces, if
// any, for the caller to abort.
func (u *uploads) start(p string, up Upload) (old Upload) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.parts == nil {
		u.parts = map[string]Upload{}
	}
	old = u.parts[p]
	u.parts[p] = up
	return old
}

// part returns p's store upload, nil if none.
func (u *uploads) part(p string) Upload {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.parts[p]
}

func (u *uploads) touch(p string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.last == nil {
		u.last = map[string]time.Time{}
	}
	u.last[p] = now
}

// done forgets p's upload and returns its store upload, if any.
func (u *uploads) done(p string) Upload {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.last, p)
	delete(u.guards, p)
	up := u.parts[p]
	delete(u.parts, p)
	return up
}

// stale returns the targets whose last chunk is older than cutoff.
func (u *uploads) stale(cutoff time.Time) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ps []string
	for p, t := range u.last {
		if t.Before(cutoff) {
			ps = append(ps, p)
		}
	}
	return ps
}

// SweepUploads removes the collected chunks of every upload that has had
// no chunk for Options.UploadExpiry (none when it is negative) and returns
// how many it removed. A chunk arriving later is refused as having no
// upload in progress, so the client learns to start again. Uploads are
// tracked in memory: the leftovers of a server that stopped mid-upload are
// replaced by the next upload of the same file.
func (s *Service) SweepUploads(ctx context.Context) int {
	if s.opt.UploadExpiry < 0 {
		return 0
	}
	cutoff := s.opt.Now().Add(-s.opt.UploadExpiry)
	n := 0
	for _, p := range s.uploads.stale(cutoff) {
		unlock := s.locks.lock(p)
		// Re-check under the path's lock: a chunk may have just arrived.
		if !s.isStale(p, cutoff) {
			unlock()
			continue
		}
		var err error
		if up := s.uploads.done(p); up != nil {
			err = up.Abort(ctx)
		} else {
			err = s.store.Remove(ctx, uploadPath(p))
		}
		unlock()
		switch {
		case err == nil:
			n++
			s.log.Info("removed an abandoned chunked upload", "path", p, "idle_for", s.opt.UploadExpiry.String())
		case errkind.Is(err, errkind.NotFound):
		default:
			s.log.Warn("cannot remove an abandoned chunked upload", "path", p, "err", err)
		}
	}
	return n
}

func (s *Service) isStale(p string, cutoff time.Time) bool {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	t, ok := s.uploads.last[p]
	return ok && t.Before(cutoff)
}

// RunUploadSweeper calls SweepUploads every UploadExpiry/4 (at most every
// 10 minutes) until ctx ends. It returns at once if sweeping is off.
func (s *Service) RunUploadSweeper(ctx context.Context) {
	if s.opt.UploadExpiry < 0 {
		return
	}
	every := min(max(s.opt.UploadExpiry/4, time.Second), 10*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.SweepUploads(ctx)
		}
	}
}
