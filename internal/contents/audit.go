package contents

import (
	"context"

	"quire/internal/audit"
	"quire/internal/errkind"
)

// The service's changes, each recorded in the audit log (Options.Audit)
// once it has succeeded or failed. Actions and field names are those of
// Jupyter Events' contents_service schema (audit.SchemaContents); a
// checkpoint restore and a trust signature have no schema there. No file
// content is ever recorded.

// Save handles a PUT with a non-empty body: it saves over an existing file
// (created false) or creates p (created true), and returns the content-less
// model. A save over a file is recorded as "save", one that creates p or
// ends a chunked upload as "upload" (as jupyter_server does); the other
// chunks of an upload are not recorded.
func (s *Service) Save(ctx context.Context, p string, req SaveRequest) (*Model, bool, error) {
	m, created, err := s.save(ctx, p, req)
	if req.Chunk == 0 || req.Chunk == -1 {
		action := "save"
		if created || req.Chunk == -1 {
			action = "upload"
		}
		s.record(ctx, action, modelPath(m, p), "", err, audit.F{"type": req.Type})
	}
	return m, created, err
}

// NewUntitled creates "Untitled.ipynb", "untitled<ext>" or "Untitled
// Folder" (numbered on clashes) in dir.
func (s *Service) NewUntitled(ctx context.Context, dir, typ, ext string) (*Model, error) {
	m, err := s.newUntitled(ctx, dir, typ, ext)
	s.record(ctx, "create", modelPath(m, dir), "", err, audit.F{"type": typ})
	return m, err
}

// Copy copies from (file or directory) into directory or path to (spec
// §2.3.6): into an existing directory under a "-Copy<n>" name, or to
// exactly to when it does not exist.
func (s *Service) Copy(ctx context.Context, from, to string) (*Model, error) {
	m, err := s.copyEntry(ctx, from, to)
	s.record(ctx, "copy", modelPath(m, to), from, err, nil)
	return m, err
}

// Rename moves from to to.
func (s *Service) Rename(ctx context.Context, from, to string) (*Model, error) {
	m, err := s.rename(ctx, from, to)
	s.record(ctx, "rename", modelPath(m, to), from, err, nil)
	return m, err
}

// Delete deletes p (to the trash with DeleteToTrash).
func (s *Service) Delete(ctx context.Context, p string) error {
	err := s.deleteEntry(ctx, p)
	s.record(ctx, "delete", p, "", err, audit.F{"trash": s.opt.DeleteToTrash})
	return err
}

// RestoreCheckpoint puts checkpoint id of p back in place of p.
func (s *Service) RestoreCheckpoint(ctx context.Context, p, id string) error {
	err := s.restoreCheckpoint(ctx, p, id)
	s.opt.Audit.Record(ctx, audit.Event{Name: "checkpoint.restore", Outcome: outcome(err),
		Fields: errorField(audit.F{"path": p, "checkpoint_id": id}, err)})
	return err
}

// Trust signs notebook p so its outputs render as trusted, and remembers
// its outputs so that later saves of them stay signed (trust.go).
func (s *Service) Trust(ctx context.Context, p string) error {
	err := s.trust(ctx, p)
	s.opt.Audit.Record(ctx, audit.Event{Name: "trust.sign", Outcome: outcome(err),
		Fields: errorField(audit.F{"path": p}, err)})
	return err
}

// record writes one contents_service event, file.<action>.
func (s *Service) record(ctx context.Context, action, path, source string, err error, f audit.F) {
	if s.opt.Audit == nil {
		return
	}
	if f == nil {
		f = audit.F{}
	}
	f["action"], f["path"] = action, path
	if source != "" {
		f["source_path"] = source
	}
	if f["type"] == "" {
		delete(f, "type")
	}
	s.opt.Audit.Record(ctx, audit.Event{Name: "file." + action, Schema: audit.SchemaContents,
		Outcome: outcome(err), Fields: errorField(f, err)})
}

func modelPath(m *Model, fallback string) string {
	if m != nil {
		return m.Path
	}
	return fallback
}

// outcome is denied for a refusal, error for any other failure.
func outcome(err error) string {
	switch {
	case err == nil:
		return audit.OK
	case errkind.Is(err, errkind.Forbidden), errkind.Is(err, errkind.Unauthenticated):
		return audit.Denied
	}
	return audit.Error
}

// errorField adds err's kind (never its message, which may carry paths
// from the OS) to f.
func errorField(f audit.F, err error) audit.F {
	if err != nil {
		f["error"] = errkind.Of(err).String()
	}
	return f
}
