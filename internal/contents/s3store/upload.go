package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"quire/internal/contents"
	"quire/internal/errkind"
)

// StartUpload implements contents.Multipart. Chunks collect in memory
// until they make a part of at least 5 MiB (S3's smallest), which goes
// to a multipart upload begun with the first part; an upload that never
// reaches 5 MiB is one PUT at Complete. Nothing is visible under p until
// Complete.
func (s *Store) StartUpload(ctx context.Context, p string) (contents.Upload, error) {
	if err := s.checkTarget(ctx, p); err != nil {
		return nil, err
	}
	return &upload{s: s, p: p}, nil
}

type upload struct {
	s *Store
	p string

	mu    sync.Mutex
	buf   bytes.Buffer
	id    string // the multipart upload's, once begun
	parts []minio.CompletePart
	size  int64
	dead  bool
}

func (u *upload) Add(ctx context.Context, r io.Reader) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.dead {
		return 0, errkind.New(errkind.Invalid, "the upload was aborted", nil)
	}
	n, err := io.Copy(&u.buf, r)
	u.size += n
	if err != nil {
		return u.size, fmt.Errorf("read chunk: %w", err)
	}
	if u.buf.Len() >= minPart {
		if err := u.flush(ctx); err != nil {
			return u.size, err
		}
	}
	return u.size, nil
}

// flush sends the buffer as the next part; the caller holds u.mu.
func (u *upload) flush(ctx context.Context) error {
	s := u.s
	if u.id == "" {
		id, err := s.c.NewMultipartUpload(ctx, s.bucket, s.key(u.p), minio.PutObjectOptions{ServerSideEncryption: s.sse, ContentType: "application/octet-stream"})
		if err != nil {
			return s.kindErr(u.p, err)
		}
		u.id = id
	}
	n := len(u.parts) + 1
	data := u.buf.Bytes()
	part, err := s.c.PutObjectPart(ctx, s.bucket, s.key(u.p), u.id, n, bytes.NewReader(data), int64(len(data)), minio.PutObjectPartOptions{SSE: s.sse})
	if err != nil {
		return s.kindErr(u.p, err)
	}
	u.parts = append(u.parts, minio.CompletePart{PartNumber: n, ETag: part.ETag})
	u.buf.Reset()
	return nil
}

// Complete implements contents.Upload. A guarded completion is as
// guarded as a whole save: the single PUT of a small upload is WriteIf's,
// and CompleteMultipartUpload carries If-Match / If-None-Match: * where
// the service honours them (S3 does since 2024, versitygw too), else the
// ETag is compared just before it.
func (u *upload) Complete(ctx context.Context, version *string) (contents.Info, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.s
	if u.dead {
		return contents.Info{}, errkind.New(errkind.Invalid, "the upload was aborted", nil)
	}
	if u.id == "" {
		data := u.buf.Bytes()
		u.dead = true
		return s.put(ctx, u.p, bytes.NewReader(data), version)
	}
	if u.buf.Len() > 0 {
		if err := u.flush(ctx); err != nil {
			return contents.Info{}, err
		}
	}
	// The encryption was named when the upload began: S3 refuses the SSE
	// headers on the completion (minio-go drops them only for AWS's own
	// endpoints), so none go with it.
	opts := minio.PutObjectOptions{}
	if version != nil {
		if err := s.condition(ctx, u.p, &opts, *version); err != nil {
			return contents.Info{}, err
		}
	}
	if _, err := s.c.CompleteMultipartUpload(ctx, s.bucket, s.key(u.p), u.id, u.parts, opts); err != nil {
		return contents.Info{}, s.kindErr(u.p, err)
	}
	u.dead = true
	return s.Stat(ctx, u.p)
}

func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dead = true
	u.buf = bytes.Buffer{}
	if u.id == "" {
		return nil
	}
	err := u.s.c.AbortMultipartUpload(ctx, u.s.bucket, u.s.key(u.p), u.id)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return u.s.kindErr(u.p, err)
	}
	u.id = ""
	return nil
}

// AbortStaleUploads aborts the multipart uploads under the store's prefix
// begun more than olderThan ago: those of a server that stopped mid-upload
// (the service aborts its own on expiry). It returns how many it aborted.
func (s *Store) AbortStaleUploads(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	keyMarker, idMarker := "", ""
	for {
		res, err := s.c.ListMultipartUploads(ctx, s.bucket, s.prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return n, s.kindErr("", err)
		}
		for _, up := range res.Uploads {
			if !strings.HasPrefix(up.Key, s.prefix) || up.Initiated.After(cutoff) {
				continue
			}
			if err := s.c.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID); err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
				return n, s.kindErr(strings.TrimPrefix(up.Key, s.prefix), err)
			}
			n++
		}
		if !res.IsTruncated {
			return n, nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}
