package contents

import (
	"context"
	"fmt"

	"quire/internal/errkind"
)

// CheckpointID is the id of a file's one checkpoint.
const CheckpointID = "checkpoint"

// ListCheckpoints returns p's checkpoints: none or one.
func (s *Service) ListCheckpoints(ctx context.Context, p string) ([]Checkpoint, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return nil, err
	}
	if p == "" || s.hidden(p) {
		return nil, notFound(p, nil)
	}
	info, err := s.store.Stat(ctx, checkpointPath(p))
	if errkind.Is(err, errkind.NotFound) {
		return []Checkpoint{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat checkpoint of %s: %w", p, err)
	}
	return []Checkpoint{{ID: CheckpointID, LastModified: info.ModTime}}, nil
}

// CreateCheckpoint copies p to its checkpoint.
func (s *Service) CreateCheckpoint(ctx context.Context, p string) (Checkpoint, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return Checkpoint{}, err
	}
	if p == "" || s.hidden(p) {
		return Checkpoint{}, errkind.Newf(errkind.Invalid, "Cannot create a checkpoint of '%s'", p)
	}
	unlock := s.locks.lock(p)
	defer unlock()
	return s.createCheckpoint(ctx, p)
}

func (s *Service) createCheckpoint(ctx context.Context, p string) (Checkpoint, error) {
	info, err := s.store.Stat(ctx, p)
	if err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return Checkpoint{}, notFound(p, err)
		}
		return Checkpoint{}, fmt.Errorf("stat %s: %w", p, err)
	}
	if info.Dir {
		return Checkpoint{}, errkind.Newf(errkind.Invalid, "Cannot create a checkpoint of directory '%s'", p)
	}
	cp := checkpointPath(p)
	cpDir, _ := split(cp)
	if err := s.store.Mkdir(ctx, cpDir); err != nil && !errkind.Is(err, errkind.Conflict) {
		return Checkpoint{}, s.writeErr(cp, err)
	}
	ci, err := s.copyFile(ctx, p, cp)
	if err != nil {
		return Checkpoint{}, s.writeErr(p, err)
	}
	return Checkpoint{ID: CheckpointID, LastModified: ci.ModTime}, nil
}

func (s *Service) checkpointFor(ctx context.Context, p, id string) (string, string, error) {
	p, err := s.cleanPath(p)
	if err != nil {
		return "", "", err
	}
	if p == "" || s.hidden(p) {
		return "", "", errkind.Newf(errkind.Invalid, "Cannot change checkpoints of '%s'", p)
	}
	missing := errkind.Newf(errkind.NotFound, "Checkpoint does not exist: %s@%s", p, id)
	if id != CheckpointID {
		return "", "", missing
	}
	cp := checkpointPath(p)
	if _, err := s.store.Stat(ctx, cp); err != nil {
		if errkind.Is(err, errkind.NotFound) {
			return "", "", missing
		}
		return "", "", fmt.Errorf("stat checkpoint of %s: %w", p, err)
	}
	return p, cp, nil
}

// restoreCheckpoint copies checkpoint id back over p.
func (s *Service) restoreCheckpoint(ctx context.Context, p, id string) error {
	p, cp, err := s.checkpointFor(ctx, p, id)
	if err != nil {
		return err
	}
	unlock := s.locks.lock(p)
	defer unlock()
	if _, err := s.copyFile(ctx, cp, p); err != nil {
		return s.writeErr(p, err)
	}
	return nil
}

// DeleteCheckpoint deletes checkpoint id of p.
func (s *Service) DeleteCheckpoint(ctx context.Context, p, id string) error {
	_, cp, err := s.checkpointFor(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.store.Remove(ctx, cp); err != nil {
		return s.writeErr(cp, err)
	}
	return nil
}
