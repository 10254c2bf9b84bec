// Package session maps notebook (or console) paths to kernels: the
// /api/sessions resource. Sessions live in memory, as jupyter_server keeps
// them by default; a session whose kernel has gone is dropped the next time
// it is looked at.
package session

import (
	"context"
	"fmt"
	"path"
	"sort"
	"sync"

	"quire/internal/errkind"
	"quire/internal/kernel/wire"
)

// Kernels is what sessions need from the kernel side.
type Kernels interface {
	// Start starts a kernel of spec name ("" = default) for the notebook at
	// API path p and returns its id. An unknown spec is errkind.Unavailable.
	Start(ctx context.Context, name, p string) (id string, err error)
	// Exists reports whether a kernel with this id is running or known.
	Exists(id string) bool
	// Shutdown stops a kernel.
	Shutdown(ctx context.Context, id string) error
}

// Session is one path ⇄ kernel binding.
type Session struct {
	ID       string
	Path     string
	Name     string
	Type     string
	KernelID string
}

// Request is what POST and PATCH carry. Empty fields are "not given".
type Request struct {
	Path, Name, Type string
	// KernelName starts a new kernel of that spec; KernelID attaches to an
	// existing kernel (and wins when both are given).
	KernelName, KernelID string
	// HasKernel is true when the request named a kernel at all.
	HasKernel bool
}

// Service holds the sessions.
type Service struct {
	kernels Kernels

	mu       sync.Mutex
	sessions map[string]*Session
}

// New returns an empty session service.
func New(k Kernels) *Service {
	return &Service{kernels: k, sessions: map[string]*Session{}}
}

// List returns every session whose kernel still exists, ordered by path.
func (s *Service) List() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.sessions))
	for id, ss := range s.sessions {
		if !s.kernels.Exists(ss.KernelID) {
			delete(s.sessions, id)
			continue
		}
		out = append(out, *ss)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Path < out[j].Path || out[i].Path == out[j].Path && out[i].ID < out[j].ID
	})
	return out
}

// Get returns one session.
func (s *Service) Get(id string) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok || !s.kernels.Exists(ss.KernelID) {
		delete(s.sessions, id)
		return Session{}, errkind.Newf(errkind.NotFound, "Session not found: session_id='%s'", id)
	}
	return *ss, nil
}

// Create returns the existing session for req.Path, or starts (or attaches)
// a kernel and records a new session.
func (s *Service) Create(ctx context.Context, req Request) (Session, error) {
	if req.Path == "" {
		return Session{}, errkind.New(errkind.Invalid, "Missing field in JSON data: path", nil)
	}
	if req.Type == "" {
		return Session{}, errkind.New(errkind.Invalid, "Missing field in JSON data: type", nil)
	}
	if existing, ok := s.byPath(req.Path); ok {
		return existing, nil
	}
	kid, err := s.kernelFor(ctx, req, req.Path)
	if err != nil {
		return Session{}, err
	}
	name := req.Name
	if name == "" && req.Type == "notebook" {
		name = path.Base(req.Path)
	}
	ss := &Session{ID: wire.NewID(), Path: req.Path, Name: name, Type: req.Type, KernelID: kid}
	s.mu.Lock()
	// A concurrent Create for the same path may have won the race; keep
	// one session per path and stop the kernel we started for nothing.
	for _, other := range s.sessions {
		if other.Path == req.Path && s.kernels.Exists(other.KernelID) {
			winner := *other
			s.mu.Unlock()
			if req.KernelID == "" {
				_ = s.kernels.Shutdown(context.WithoutCancel(ctx), kid)
			}
			return winner, nil
		}
	}
	s.sessions[ss.ID] = ss
	s.mu.Unlock()
	return *ss, nil
}

func (s *Service) byPath(p string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.sessions {
		if ss.Path != p {
			continue
		}
		if !s.kernels.Exists(ss.KernelID) {
			delete(s.sessions, id)
			continue
		}
		return *ss, true
	}
	return Session{}, false
}

// kernelFor attaches to req.KernelID or starts req.KernelName.
func (s *Service) kernelFor(ctx context.Context, req Request, p string) (string, error) {
	if req.KernelID != "" {
		if !s.kernels.Exists(req.KernelID) {
			return "", errkind.Newf(errkind.Invalid, "No such kernel: %s", req.KernelID)
		}
		return req.KernelID, nil
	}
	id, err := s.kernels.Start(ctx, req.KernelName, p)
	if err != nil {
		return "", fmt.Errorf("start kernel for %s: %w", p, err)
	}
	return id, nil
}

// Update renames the path/name/type and may switch the kernel; a replaced
// kernel is shut down.
func (s *Service) Update(ctx context.Context, id string, req Request) (Session, error) {
	cur, err := s.Get(id)
	if err != nil {
		return Session{}, err
	}
	next := cur
	if req.Path != "" {
		next.Path = req.Path
	}
	if req.Name != "" {
		next.Name = req.Name
	}
	if req.Type != "" {
		next.Type = req.Type
	}
	var oldKernel string
	if req.HasKernel && (req.KernelID != "" || req.KernelName != "") && req.KernelID != cur.KernelID {
		kid, err := s.kernelFor(ctx, req, next.Path)
		if err != nil {
			return Session{}, err
		}
		next.KernelID, oldKernel = kid, cur.KernelID
	}
	s.mu.Lock()
	ss, ok := s.sessions[id]
	if !ok {
		s.mu.Unlock()
		return Session{}, errkind.Newf(errkind.NotFound, "Session not found: session_id='%s'", id)
	}
	*ss = next
	s.mu.Unlock()
	if oldKernel != "" && oldKernel != next.KernelID && !s.usedByOthers(oldKernel) {
		if err := s.kernels.Shutdown(context.WithoutCancel(ctx), oldKernel); err != nil && !errkind.Is(err, errkind.NotFound) {
			return next, fmt.Errorf("shut down the replaced kernel %s: %w", oldKernel, err)
		}
	}
	return next, nil
}

func (s *Service) usedByOthers(kernelID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		if ss.KernelID == kernelID {
			return true
		}
	}
	return false
}

// Delete shuts the session's kernel down and forgets the session.
func (s *Service) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	ss, ok := s.sessions[id]
	if ok {
		delete(s.sessions, id)
	}
	s.mu.Unlock()
	if !ok {
		return errkind.Newf(errkind.NotFound, "Session not found: session_id='%s'", id)
	}
	if !s.kernels.Exists(ss.KernelID) {
		return errkind.New(errkind.Gone, "Kernel deleted before session", nil)
	}
	if s.usedByOthers(ss.KernelID) {
		return nil
	}
	if err := s.kernels.Shutdown(ctx, ss.KernelID); err != nil && !errkind.Is(err, errkind.NotFound) {
		return fmt.Errorf("shut down kernel %s: %w", ss.KernelID, err)
	}
	return nil
}
