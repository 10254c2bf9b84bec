package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"quire/internal/errkind"
)

// journal is a move in progress, stored at journalKey while its objects
// are copied and deleted.
type journal struct {
	From string `json:"from"`
	To   string `json:"to"`
	Dir  bool   `json:"dir"`
}

func (s *Store) journalKey(from, to string) string {
	h := sha256.Sum256([]byte(from + "\x00" + to))
	return s.prefix + internalDir + "/moves/" + hex.EncodeToString(h[:16]) + ".json"
}

// move copies from (a file, or a directory and everything below it) to
// to, then deletes from. The journal written first lets Recover finish a
// move a crash interrupted: copying again is harmless, and the sources
// are deleted only once every copy exists.
func (s *Store) move(ctx context.Context, from, to string, dir bool) error {
	j := journal{From: from, To: to, Dir: dir}
	jb, _ := json.Marshal(j)
	jk := s.journalKey(from, to)
	if _, err := s.c.Client.PutObject(ctx, s.bucket, jk, bytes.NewReader(jb), int64(len(jb)), minio.PutObjectOptions{ContentType: "application/json", ServerSideEncryption: s.sse}); err != nil {
		return s.kindErr(from, err)
	}
	if err := s.finishMove(ctx, j); err != nil {
		return err
	}
	if err := s.c.Client.RemoveObject(ctx, s.bucket, jk, minio.RemoveObjectOptions{}); err != nil {
		s.log.Warn("s3: cannot remove a finished move's journal", "bucket", s.bucket, "key", jk, "err", err)
	}
	return nil
}

// finishMove copies every object of j.From that is still there to j.To,
// then deletes the sources.
func (s *Store) finishMove(ctx context.Context, j journal) error {
	if !j.Dir {
		if err := s.copyKey(ctx, s.key(j.From), s.key(j.To)); err != nil {
			kerr := s.kindErr(j.From, err)
			if errkind.Is(kerr, errkind.NotFound) {
				return nil // already moved (Recover after the delete)
			}
			return kerr
		}
		return s.kindErr(j.From, s.c.Client.RemoveObject(ctx, s.bucket, s.key(j.From), minio.RemoveObjectOptions{}))
	}
	src, dst := s.dirKey(j.From), s.dirKey(j.To)
	objs, err := s.keysUnder(ctx, src)
	if err != nil {
		return s.kindErr(j.From, err)
	}
	// The target's marker first, so the directory exists even when empty.
	if _, err := s.c.Client.PutObject(ctx, s.bucket, dst, bytes.NewReader(nil), 0, minio.PutObjectOptions{ServerSideEncryption: s.sse}); err != nil {
		return s.kindErr(j.To, err)
	}
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.Key)
		if o.Key == src {
			continue
		}
		if strings.HasSuffix(o.Key, "/") && o.Size == 0 {
			_, err = s.c.Client.PutObject(ctx, s.bucket, dst+strings.TrimPrefix(o.Key, src), bytes.NewReader(nil), 0, minio.PutObjectOptions{ServerSideEncryption: s.sse})
		} else {
			err = s.copyKey(ctx, o.Key, dst+strings.TrimPrefix(o.Key, src))
		}
		if err != nil {
			return s.kindErr(j.From, fmt.Errorf("copy %s: %w", o.Key, err))
		}
	}
	return s.kindErr(j.From, s.removeKeys(ctx, keys))
}

// Recover finishes the moves (renames, trashing) that a stopped process
// left half done, and returns how many it finished.
func (s *Store) Recover(ctx context.Context) (int, error) {
	objs, err := s.keysUnder(ctx, s.prefix+internalDir+"/moves/")
	if err != nil {
		return 0, s.kindErr("", err)
	}
	n := 0
	for _, o := range objs {
		obj, err := s.c.Client.GetObject(ctx, s.bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			return n, s.kindErr("", err)
		}
		b, err := io.ReadAll(io.LimitReader(obj, 1<<20))
		obj.Close()
		if err != nil {
			return n, s.kindErr("", err)
		}
		var j journal
		if err := json.Unmarshal(b, &j); err != nil || j.From == "" || j.To == "" {
			s.log.Warn("s3: unreadable move journal left alone", "bucket", s.bucket, "key", o.Key)
			continue
		}
		if err := s.finishMove(ctx, j); err != nil {
			return n, err
		}
		if err := s.c.Client.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
			return n, s.kindErr("", err)
		}
		s.log.Info("s3: finished an interrupted move", "bucket", s.bucket, "from", j.From, "to", j.To)
		n++
	}
	return n, nil
}
