package s3store

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/minio/minio-go/v7"
)

// JournalForTest writes the journal of a move from → to, as move does
// before copying, so a test can stage a crash mid-move.
func (s *Store) JournalForTest(ctx context.Context, t *testing.T, from, to string, dir bool) {
	t.Helper()
	b, _ := json.Marshal(journal{From: from, To: to, Dir: dir})
	if _, err := s.c.Client.PutObject(ctx, s.bucket, s.journalKey(from, to), bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}
