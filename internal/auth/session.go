package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"quire/internal/safefile"
)

// sessionsFile is the session store: one JSON document, mode 0600, replaced
// atomically. It holds SHA-256 digests of session ids, never the ids.
const sessionsFile = "quire_sessions.json"

const sessionIDLen = 32 // bytes; 256 bits

// touchEvery limits how often a session's last-seen time is updated, and
// saveEvery how often such updates alone cause the store to be written.
const (
	touchEvery = time.Minute
	saveEvery  = 5 * time.Minute
)

// record is one server-side session.
type record struct {
	// ID is the hex SHA-256 of the raw session id.
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// FP fingerprints the credential the session was made with (the
	// password hash or the token); a session whose credential is no longer
	// configured is void.
	FP   string   `json:"fp"`
	User Identity `json:"user"`
}

type storeFile struct {
	Version  int       `json:"version"`
	Sessions []*record `json:"sessions"`
}

// store holds the sessions in memory and persists them to path ("" = not
// persisted).
type store struct {
	path      string
	idle, abs time.Duration
	max       int
	valid     func(fp string) bool
	log       *slog.Logger
	// ended, if set, hears of each session that ends other than by
	// logout: why (idle, max_age, credential, evicted) and whose it was.
	// Called with mu held; ctx is the request that found it, if any.
	ended func(ctx context.Context, r *record, reason string)

	mu       sync.Mutex
	recs     map[string]*record
	dirty    bool
	lastSave time.Time

	saveMu sync.Mutex // serialises writes of the file
}

// openStore loads path, dropping expired sessions and those whose
// credential fingerprint is not valid. A damaged file is logged and
// replaced; it never stops the server.
func openStore(path string, idle, abs time.Duration, max int, valid func(string) bool, ended func(context.Context, *record, string), now time.Time, log *slog.Logger) (*store, error) {
	s := &store{path: path, idle: idle, abs: abs, max: max, valid: valid, ended: ended, log: log,
		recs: map[string]*record{}, lastSave: now}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read session store: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		log.Warn("session store unreadable; starting with no sessions", "file", path)
		s.dirty = true
		return s, s.flush(now)
	}
	dropped := 0
	for _, r := range f.Sessions {
		if r == nil || len(r.ID) != 2*sha256.Size || r.User.Username == "" {
			dropped++
			continue
		}
		if why := s.why(r, now); why != "" {
			// Ended while the server was down: expired, or its token or
			// password changed (revoked).
			s.end(context.Background(), r, why)
			dropped++
			continue
		}
		r.User.Method = MethodCookie
		s.recs[r.ID] = r
	}
	if dropped > 0 || len(s.recs) > max {
		s.dirty = true
		s.evictLocked(context.Background(), now, 0)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.dirty = true // rewritten as 0600
	}
	if s.dirty {
		if err := s.flush(now); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// count is the number of sessions live at now.
func (s *store) count(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recs {
		if s.live(r, now) {
			n++
		}
	}
	return n
}

// live reports whether r may still be used at now.
func (s *store) live(r *record, now time.Time) bool {
	return s.why(r, now) == ""
}

// why says why r may no longer be used at now ("" if it may).
func (s *store) why(r *record, now time.Time) string {
	switch {
	case !s.valid(r.FP):
		return "credential" // the token or password it was made with changed
	case now.Sub(r.Created) >= s.abs:
		return "max_age"
	case now.Sub(r.LastSeen) >= s.idle:
		return "idle"
	}
	return ""
}

// end reports the end of r (with mu held).
func (s *store) end(ctx context.Context, r *record, reason string) {
	if s.ended != nil {
		s.ended(ctx, r, reason)
	}
}

// create makes a session for user and returns its raw id.
func (s *store) create(now time.Time, fp string, user Identity) ([]byte, error) {
	id := make([]byte, sessionIDLen)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("session id: %w", err)
	}
	user.Method = MethodCookie
	s.mu.Lock()
	s.evictLocked(context.Background(), now, 1)
	s.recs[idHash(id)] = &record{ID: idHash(id), Created: now, LastSeen: now, FP: fp, User: user}
	s.dirty = true
	s.mu.Unlock()
	return id, s.flush(now)
}

// lookup returns the user of the live session id and marks it seen.
func (s *store) lookup(ctx context.Context, id []byte, now time.Time) (Identity, bool) {
	h := idHash(id)
	s.mu.Lock()
	r, ok := s.recs[h]
	if ok && !s.live(r, now) {
		s.end(ctx, r, s.why(r, now))
		delete(s.recs, h)
		s.dirty = true
		ok = false
	}
	var user Identity
	save := false
	if ok {
		user = r.User
		if now.Sub(r.LastSeen) >= touchEvery {
			r.LastSeen = now
			s.dirty = true
		}
		save = s.dirty && now.Sub(s.lastSave) >= saveEvery
	}
	s.mu.Unlock()
	if save {
		if err := s.flush(now); err != nil {
			s.log.Error("save session store", "err", err)
		}
	}
	return user, ok
}

// remove deletes the session id, live or not.
func (s *store) remove(id []byte, now time.Time) error {
	h := idHash(id)
	s.mu.Lock()
	_, ok := s.recs[h]
	delete(s.recs, h)
	if ok {
		s.dirty = true
	}
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.flush(now)
}

// evictLocked drops expired sessions and then, while more than max-room
// remain, the least recently seen ones.
func (s *store) evictLocked(ctx context.Context, now time.Time, room int) {
	for h, r := range s.recs {
		if !s.live(r, now) {
			s.end(ctx, r, s.why(r, now))
			delete(s.recs, h)
			s.dirty = true
		}
	}
	if len(s.recs)+room <= s.max {
		return
	}
	all := make([]*record, 0, len(s.recs))
	for _, r := range s.recs {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *record) int { return a.LastSeen.Compare(b.LastSeen) })
	for _, r := range all[:len(all)+room-s.max] {
		s.end(ctx, r, "evicted") // --max-sessions
		delete(s.recs, r.ID)
	}
	s.dirty = true
}

// flush writes the store if it changed since the last write.
func (s *store) flush(now time.Time) error {
	if s.path == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	f := storeFile{Version: 1, Sessions: make([]*record, 0, len(s.recs))}
	for _, r := range s.recs {
		c := *r
		f.Sessions = append(f.Sessions, &c)
	}
	s.dirty = false
	s.lastSave = now
	s.mu.Unlock()
	slices.SortFunc(f.Sessions, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
	b, err := json.MarshalIndent(f, "", " ")
	if err == nil {
		err = safefile.WriteFile(s.path, b, 0o600)
	}
	if err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("save session store: %w", err)
	}
	return nil
}

func idHash(id []byte) string {
	sum := sha256.Sum256(id)
	return hex.EncodeToString(sum[:])
}
