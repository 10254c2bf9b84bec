package s3store_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"quire/internal/contents/s3store"
	"quire/internal/errkind"
)

// sseRecorder answers just enough of S3 for a save, a copy, a directory,
// a rename and a multipart upload, and records every request that writes
// an object. It exists because versitygw, the real S3 server of the other
// tests, ignores the server-side encryption headers (it neither encrypts
// nor refuses): whether minio-go sends the mode on every write, and what
// the store answers when a service refuses it, are what a real part here
// cannot show.
type sseRecorder struct {
	mu      sync.Mutex
	objects map[string]bool
	writes  []sseWrite
	refuse  bool // answer every write that names SSE with a KMS refusal
}

type sseWrite struct {
	what, sse, kmsKey string
}

func (r *sseRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = io.Copy(io.Discard, req.Body)
	key := strings.TrimPrefix(req.URL.Path, "/bkt/")
	q := req.URL.Query()
	xml := func(s string) {
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+s)
	}
	var what string
	switch {
	case req.Method == http.MethodHead:
		if !r.objects[key] {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("ETag", `"e"`)
		w.Header().Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Length", "1")
		return
	case req.Method == http.MethodGet && q.Has("list-type"):
		// Everything below a listed prefix: the objects written so far.
		var b strings.Builder
		for k := range r.objects {
			if strings.HasPrefix(k, q.Get("prefix")) {
				fmt.Fprintf(&b, `<Contents><Key>%s</Key><ETag>"e"</ETag><Size>1</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`, k)
			}
		}
		xml(`<ListBucketResult><Name>bkt</Name><Prefix>` + q.Get("prefix") + `</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` + b.String() + `</ListBucketResult>`)
		return
	case req.Method == http.MethodPost && q.Has("delete"):
		xml(`<DeleteResult></DeleteResult>`)
		return
	case req.Method == http.MethodDelete:
		delete(r.objects, key)
		w.WriteHeader(http.StatusNoContent)
		return
	case req.Method == http.MethodPut && q.Has("partNumber"):
		what = "part"
	case req.Method == http.MethodPut && req.Header.Get("X-Amz-Copy-Source") != "":
		what = "copy"
	case req.Method == http.MethodPut:
		what = "put"
	case req.Method == http.MethodPost && q.Has("uploads"):
		what = "create-multipart"
	case req.Method == http.MethodPost && q.Has("uploadId"):
		what = "complete-multipart"
	default:
		http.Error(w, "not in this recorder", http.StatusNotImplemented)
		return
	}
	sse := req.Header.Get("X-Amz-Server-Side-Encryption")
	r.writes = append(r.writes, sseWrite{what: what + " " + key, sse: sse, kmsKey: req.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")})
	if r.refuse && sse != "" {
		w.WriteHeader(http.StatusBadRequest)
		xml(`<Error><Code>KMS.NotFoundException</Code><Message>Invalid keyId quire-key</Message><RequestId>r</RequestId></Error>`)
		return
	}
	switch what {
	case "part":
		w.Header().Set("ETag", `"p"`)
	case "copy":
		r.objects[key] = true
		xml(`<CopyObjectResult><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyObjectResult>`)
	case "put":
		r.objects[key] = true
		w.Header().Set("ETag", `"e"`)
	case "create-multipart":
		xml(`<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>` + key + `</Key><UploadId>up1</UploadId></InitiateMultipartUploadResult>`)
	case "complete-multipart":
		r.objects[key] = true
		xml(`<CompleteMultipartUploadResult><Bucket>bkt</Bucket><Key>` + key + `</Key><ETag>"m"</ETag></CompleteMultipartUploadResult>`)
	}
}

func recorderStore(t *testing.T, sse string) (*s3store.Store, *sseRecorder) {
	t.Helper()
	rec := &sseRecorder{objects: map[string]bool{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	s, err := s3store.New(s3store.Options{
		Bucket: "bkt", Endpoint: srv.URL, PathStyle: true, Region: "us-east-1", SSE: sse,
		Creds: credentials.NewStaticV4("AKIATEST", "secret", ""), Timeout: 5 * time.Second, Retries: -1,
		NoConditional: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

// TestSSEOnEveryWrite: with --s3-sse, every request that creates an
// object (a save, a directory's marker, a copy, a rename's journal and
// copies, a multipart upload's start) names the mode, and the KMS key id
// when one is given; the parts and the completion of a multipart upload
// carry none (S3 refuses SSE-S3/KMS headers there).
func TestSSEOnEveryWrite(t *testing.T) {
	for _, tc := range []struct{ sse, want, key string }{
		{"AES256", "AES256", ""},
		{"aws:kms", "aws:kms", ""},
		{"aws:kms:arn:aws:kms:eu-west-1:111122223333:key/quire-key", "aws:kms", "arn:aws:kms:eu-west-1:111122223333:key/quire-key"},
		{"", "", ""},
	} {
		t.Run(tc.sse, func(t *testing.T) {
			ctx := context.Background()
			s, rec := recorderStore(t, tc.sse)
			if _, err := s.Write(ctx, "a.txt", strings.NewReader("a")); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if err := s.Mkdir(ctx, "d"); err != nil {
				t.Fatalf("Mkdir: %v", err)
			}
			if _, err := s.Copy(ctx, "a.txt", "b.txt"); err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if err := s.Rename(ctx, "b.txt", "c.txt"); err != nil {
				t.Fatalf("Rename: %v", err)
			}
			up, err := s.StartUpload(ctx, "big.bin")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := up.Add(ctx, strings.NewReader(strings.Repeat("x", 6<<20))); err != nil {
				t.Fatalf("Add: %v", err)
			}
			if _, err := up.Complete(ctx, nil); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			kinds := map[string]bool{}
			for _, w := range rec.writes {
				kind, _, _ := strings.Cut(w.what, " ")
				kinds[kind] = true
				want, key := tc.want, tc.key
				if kind == "part" || kind == "complete-multipart" {
					want, key = "", ""
				}
				if w.sse != want || w.kmsKey != key {
					t.Errorf("%s: SSE %q key %q, want %q %q", w.what, w.sse, w.kmsKey, want, key)
				}
			}
			for _, k := range []string{"put", "copy", "create-multipart", "part", "complete-multipart"} {
				if !kinds[k] {
					t.Errorf("no %s request recorded (%v)", k, rec.writes)
				}
			}
		})
	}
}

// TestSSERefused: a service that refuses the encryption asked for (a KMS
// key it does not know, a policy that demands another mode) fails the
// write with an Upstream error (502) naming the bucket and the service's
// reason, and nothing is written.
func TestSSERefused(t *testing.T) {
	ctx := context.Background()
	s, rec := recorderStore(t, "aws:kms:quire-key")
	rec.refuse = true
	_, err := s.Write(ctx, "a.txt", strings.NewReader("a"))
	if !errkind.Is(err, errkind.Upstream) || !strings.Contains(err.Error(), "bkt") || !strings.Contains(err.Error(), "KMS.NotFoundException") {
		t.Errorf("Write refused by the service: %v (kind %v), want Upstream naming bkt and KMS.NotFoundException", err, errkind.Of(err))
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "AKIATEST") {
		t.Errorf("error names a credential: %v", err)
	}
	err = s.Mkdir(ctx, "d")
	if !errkind.Is(err, errkind.Upstream) {
		t.Errorf("Mkdir refused: %v", err)
	}
	if _, err := s.Stat(ctx, "a.txt"); !errkind.Is(err, errkind.NotFound) {
		t.Errorf("a refused save left an object: %v", err)
	}
}

// TestSSEWithGateway: against versitygw, which accepts the encryption
// headers and ignores them (it does not encrypt, and refuses nothing), a
// store asking for each mode saves, uploads in parts and reads back: the
// headers the recorder above checks break nothing on a real service.
func TestSSEWithGateway(t *testing.T) {
	g := gateway(t)
	ctx := context.Background()
	for i, sse := range []string{"AES256", "aws:kms", "aws:kms:quire-key"} {
		t.Run(sse, func(t *testing.T) {
			bucket := fmt.Sprintf("sse-%d", i)
			if err := g.MakeBucket(bucket); err != nil {
				t.Fatal(err)
			}
			s, err := s3store.New(s3store.Options{Bucket: bucket, Endpoint: g.Endpoint(), PathStyle: true, Region: "us-east-1", SSE: sse,
				Creds: credentials.NewStaticV4(g.Access, g.Secret, ""), Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write(ctx, "a.txt", strings.NewReader("hello")); err != nil {
				t.Fatalf("Write: %v", err)
			}
			up, err := s.StartUpload(ctx, "big.bin")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := up.Add(ctx, strings.NewReader(strings.Repeat("x", 6<<20))); err != nil {
				t.Fatal(err)
			}
			if _, err := up.Complete(ctx, nil); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			for p, size := range map[string]int64{"a.txt": 5, "big.bin": 6 << 20} {
				f, info, err := s.Open(ctx, p)
				if err != nil {
					t.Fatalf("Open %s: %v", p, err)
				}
				n, err := io.Copy(io.Discard, f)
				f.Close()
				if err != nil || n != size || info.Size != size {
					t.Errorf("%s: read %d (%v), size %d, want %d", p, n, err, info.Size, size)
				}
			}
		})
	}
}
