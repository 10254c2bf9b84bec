package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/minio/minio-go/v7"

	"quire/internal/errkind"
)

// Probe checks that the bucket answers with the credentials found, and
// finds out once whether the service honours conditional PUTs
// (If-None-Match: *): it writes a probe object twice under the store's
// own directory, expecting the second PUT to be refused. Saves guarded by
// If-Match use the answer (see WriteIf). The error, if any, names the
// bucket and the reason, never a credential.
func (s *Store) Probe(ctx context.Context) (conditional bool, err error) {
	ok, err := s.c.Client.BucketExists(ctx, s.bucket)
	if err != nil {
		return false, s.kindErr("", err)
	}
	if !ok {
		return false, errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s does not exist", s.bucket), nil)
	}
	key := s.prefix + internalDir + "/probe-" + rand.Text()
	put := func() error {
		opts := minio.PutObjectOptions{ServerSideEncryption: s.sse}
		opts.SetMatchETagExcept("*")
		_, err := s.c.Client.PutObject(ctx, s.bucket, key, bytes.NewReader([]byte("quire")), 5, opts)
		return err
	}
	if err := put(); err != nil {
		return false, s.kindErr("", fmt.Errorf("probe write: %w", err))
	}
	defer func() {
		_ = s.c.Client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
	}()
	err = put()
	switch {
	case err == nil:
		conditional = false
	case errkind.Is(s.kindErr("", err), errkind.Stale):
		conditional = true
	default:
		// Refused for another reason (a gateway that rejects the header):
		// treat as unsupported, the fallback is safe.
		s.log.Warn("s3: conditional write probe failed", "bucket", s.bucket, "err", err)
		conditional = false
	}
	s.mu.Lock()
	s.conditional = &conditional
	s.mu.Unlock()
	return conditional, nil
}
