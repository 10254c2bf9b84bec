// Package s3store is the S3 implementation of contents.Store: each file is
// an object under the store's prefix, each directory a prefix, kept even
// when empty by a marker object ("dir/", as Jupyter's S3 stores do). Saves
// are single PUTs (S3 never shows a half-written object), conditional on
// the ETag where the service supports conditional writes; chunked uploads
// are multipart uploads; renames copy every object, then delete, and are
// journalled so that a crash in between is finished at the next start.
package s3store

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"quire/internal/contents"
	"quire/internal/errkind"
)

// Options configures a Store.
type Options struct {
	// Bucket and Prefix say where the contents live: the object for API
	// path p is Prefix + "/" + p (Prefix has no slashes at either end; ""
	// is the whole bucket).
	Bucket, Prefix string
	// Endpoint is the S3 service URL ("https://s3.amazonaws.com" when
	// empty); http:// is allowed for a loopback or private gateway.
	Endpoint string
	// Region is the bucket's region ("" lets the client find it).
	Region string
	// PathStyle addresses the bucket in the path, not the host name.
	PathStyle bool
	// CAFile, if set, holds PEM certificates trusted for the endpoint
	// (besides the system's).
	CAFile string
	// SSE is the server-side encryption asked for each object: "" (the
	// bucket's default), "AES256" (SSE-S3), "aws:kms" (SSE-KMS, the
	// default key) or "aws:kms:KEY-ID" (SSE-KMS with that key id or ARN).
	SSE string
	// Timeout bounds each request (0 = 30 s); Retries is how many times
	// a failed request is tried again, with back-off (0 = 3, negative =
	// none).
	Timeout time.Duration
	Retries int
	// Creds overrides the standard credential chain (tests); nil uses
	// the environment, the shared credentials file and profile, web
	// identity and instance metadata, in that order.
	Creds *credentials.Credentials
	// NoConditional never uses conditional PUTs, as if Probe had found
	// the service ignores them (tests of the fallback).
	NoConditional bool
	// Log receives the store's warnings; nil discards them.
	Log *slog.Logger
}

// Store is a contents.Store on an S3 bucket.
type Store struct {
	c      *minio.Core
	bucket string
	prefix string // "" or ends with "/"
	sse    encrypt.ServerSide
	log    *slog.Logger
	epoch  time.Time // the time directories without a marker report

	noCond bool
	// chunkPool keeps spool's pieces between writes.
	chunkPool sync.Pool

	mu sync.Mutex
	// conditional: whether the service honours If-Match / If-None-Match
	// on PUT; nil until Probe found out.
	conditional *bool
}

// internalDir is the first path segment of the store's own objects (the
// trash, rename journals); Clean refuses it and listings skip it.
const internalDir = ".quire-s3"

// noOwner asks a listing for no owners (a lookup per key on some
// services, versitygw's included: a fifth of a 2000-key listing).
func noOwner() *bool { f := false; return &f }

// minPart is S3's smallest multipart part (but the last).
const minPart = 5 << 20

// New returns a store on opt.Bucket. It makes no request: Probe checks
// the bucket and what it supports.
func New(opt Options) (*Store, error) {
	if opt.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	ep := opt.Endpoint
	if ep == "" {
		ep = "https://s3.amazonaws.com"
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3 endpoint %q: want http(s)://host[:port]", ep)
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	if opt.CAFile != "" {
		pem, err := os.ReadFile(opt.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--s3-ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--s3-ca %s: no PEM certificate in it", opt.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	creds := opt.Creds
	if creds == nil {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{}, // web identity (AWS_WEB_IDENTITY_TOKEN_FILE), ECS, then instance metadata
		})
	}
	retries := opt.Retries
	switch {
	case retries == 0:
		retries = 3
	case retries < 0:
		retries = 0
	}
	lookup := minio.BucketLookupAuto
	if opt.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.NewCore(u.Host, &minio.Options{
		Creds:        creds,
		Secure:       u.Scheme == "https",
		Transport:    tr,
		Region:       opt.Region,
		BucketLookup: lookup,
		MaxRetries:   retries + 1, // minio-go counts the first try
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	var sse encrypt.ServerSide
	switch key, kms := strings.CutPrefix(opt.SSE, "aws:kms:"); {
	case opt.SSE == "":
	case opt.SSE == "AES256":
		sse = encrypt.NewSSE()
	case opt.SSE == "aws:kms" || (kms && key != ""):
		if !kms {
			key = "" // the default key
		}
		sse, err = encrypt.NewSSEKMS(key, nil)
		if err != nil {
			return nil, fmt.Errorf("--s3-sse: %w", err)
		}
	default:
		return nil, fmt.Errorf("--s3-sse %q: want AES256, aws:kms or aws:kms:KEY-ID", opt.SSE)
	}
	prefix := strings.Trim(opt.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := &Store{c: c, bucket: opt.Bucket, prefix: prefix, sse: sse, log: log, epoch: time.Unix(0, 0).UTC(), noCond: opt.NoConditional}
	st.chunkPool.New = func() any { return new([spoolChunk]byte) }
	return st, nil
}

// Bucket names the bucket, for messages.
func (s *Store) Bucket() string { return s.bucket }

// key is the object name of clean path p; dirKey that of its marker (and
// the prefix of everything under it).
func (s *Store) key(p string) string { return s.prefix + p }

func (s *Store) dirKey(p string) string {
	if p == "" {
		return s.prefix
	}
	return s.prefix + p + "/"
}

// Clean normalises an API path: slashes trimmed, empty and "." segments
// dropped; "..", NUL, backslashes and the store's own directory refused.
func (s *Store) Clean(p string) (string, error) {
	invalid := func() (string, error) {
		return "", errkind.New(errkind.NotFound, strings.ReplaceAll(p, "\x00", "")+" is not a valid path inside the root", nil)
	}
	if strings.ContainsAny(p, "\x00\\") {
		return invalid()
	}
	var segs []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			return invalid()
		}
		segs = append(segs, seg)
	}
	if len(segs) > 0 && segs[0] == internalDir {
		return "", errkind.New(errkind.NotFound, "No such file or directory: "+strings.Join(segs, "/"), nil)
	}
	c := strings.Join(segs, "/")
	if len(s.prefix)+len(c)+1 > 1024 { // S3's key limit, with a marker's "/"
		return "", errkind.New(errkind.Invalid, "File name too long: an S3 key may be at most 1024 bytes", nil)
	}
	return c, nil
}

// kindErr classifies an S3 or network error with a client-safe message
// naming the bucket and the reason (never a credential or the endpoint's
// secrets; the error itself is logged by the caller).
func (s *Store) kindErr(p string, err error) error {
	if err == nil {
		return nil
	}
	var ke *errkind.Error
	if errors.As(err, &ke) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errkind.New(errkind.Retry, fmt.Sprintf("S3 bucket %s did not answer in time", s.bucket), err)
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		return errkind.New(errkind.NotFound, "No such file or directory: "+p, err)
	case "PreconditionFailed", "ConditionalRequestConflict":
		return errkind.New(errkind.Stale, p+" changed on the server (another save got there first); reload it before saving", err)
	case "SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError":
		return errkind.New(errkind.Retry, fmt.Sprintf("S3 bucket %s is unavailable (%s); try again", s.bucket, resp.Code), err)
	case "":
	default:
		return errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s refused the request (%s)", s.bucket, resp.Code), err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return errkind.New(errkind.NotFound, "No such file or directory: "+p, err)
	}
	if resp.StatusCode >= 400 {
		return errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s refused the request (HTTP %d)", s.bucket, resp.StatusCode), err)
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) {
		return errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s: the endpoint's TLS certificate is not trusted (give its CA with --s3-ca)", s.bucket), err)
	}
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		reason := "unreachable"
		if ne != nil && ne.Timeout() {
			reason = "not answering in time"
		}
		return errkind.New(errkind.Retry, fmt.Sprintf("S3 bucket %s is %s; try again", s.bucket, reason), err)
	}
	if strings.Contains(err.Error(), "Access Denied") || strings.Contains(err.Error(), "credentials") {
		return errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s refused the request (no valid credentials)", s.bucket), err)
	}
	return errkind.New(errkind.Upstream, fmt.Sprintf("S3 bucket %s failed: %s", s.bucket, firstLine(err.Error())), err)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func fileInfo(name string, oi minio.ObjectInfo) contents.Info {
	t := oi.LastModified
	return contents.Info{Name: name, Size: oi.Size, ModTime: t, Created: t, Writable: true, Mode: 0o644, Version: strings.Trim(oi.ETag, `"`)}
}

func (s *Store) dirInfo(name string, t time.Time) contents.Info {
	if t.IsZero() {
		t = s.epoch
	}
	return contents.Info{Name: name, Dir: true, ModTime: t, Created: t, Writable: true, Mode: 0o755}
}

// statDir reports whether directory p exists (a marker or any object
// under it) and the marker's time if it has one.
func (s *Store) statDir(ctx context.Context, p string) (bool, time.Time, error) {
	if p == "" {
		return true, time.Time{}, nil
	}
	var oi minio.ObjectInfo
	ok := false
	for o := range s.c.Client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{FetchOwner: noOwner(), Prefix: s.dirKey(p), Recursive: true, MaxKeys: 1}) {
		oi, ok = o, true
		break // the first key says enough
	}
	switch {
	case !ok:
		return false, time.Time{}, nil
	case oi.Err != nil:
		return false, time.Time{}, s.kindErr(p, oi.Err)
	case oi.Key == s.dirKey(p):
		return true, oi.LastModified, nil
	}
	return true, time.Time{}, nil
}

// Stat implements contents.Store.
func (s *Store) Stat(ctx context.Context, p string) (contents.Info, error) {
	if p == "" {
		return s.dirInfo("", time.Time{}), nil
	}
	if fi, ok, err := s.statFile(ctx, p); ok || err != nil {
		return fi, err
	}
	ok, t, err := s.statDir(ctx, p)
	if err != nil {
		return contents.Info{}, err
	}
	if !ok {
		return contents.Info{}, errkind.New(errkind.NotFound, "No such file or directory: "+p, nil)
	}
	return s.dirInfo(contents.Base(p), t), nil
}

// statFile is the file at p (ok), or ok false when no object has its key
// (a file wins over a directory of the same name, so callers ask this first).
func (s *Store) statFile(ctx context.Context, p string) (fi contents.Info, ok bool, err error) {
	oi, err := s.c.StatObject(ctx, s.bucket, s.key(p), minio.StatObjectOptions{})
	if err == nil {
		return fileInfo(contents.Base(p), oi), true, nil
	}
	if kerr := s.kindErr(p, err); !errkind.Is(kerr, errkind.NotFound) {
		return contents.Info{}, false, kerr
	}
	return contents.Info{}, false, nil
}

// List implements contents.Store: one paginated listing with "/" as the
// delimiter (1000 keys a page), sizes and times from the listing itself.
// Listings read minio-go's iterator, not its channel: the channel hands
// each key from a goroutine to the reader, a switch per key.
func (s *Store) List(ctx context.Context, dir string) ([]contents.Info, error) {
	out, found, _, err := s.list(ctx, dir)
	if err != nil {
		return nil, err
	}
	if !found {
		// Nothing under dir/: a file or nothing at all.
		return nil, errkind.New(errkind.NotFound, "No such file or directory: "+dir, nil)
	}
	return out, nil
}

// StatList implements contents.StatLister: a HEAD finds a file (a file
// wins over a directory of the same name, as in Stat), else the listing
// of dir/ both proves the directory exists (any key under it) and gives
// its entries and its marker's time, so no separate one-key listing is
// asked for.
func (s *Store) StatList(ctx context.Context, p string) (contents.Info, []contents.Info, bool, error) {
	if p != "" {
		if fi, ok, err := s.statFile(ctx, p); ok || err != nil {
			return fi, nil, false, err
		}
	}
	out, found, t, err := s.list(ctx, p)
	if err != nil {
		return contents.Info{}, nil, false, err
	}
	if !found {
		return contents.Info{}, nil, false, errkind.New(errkind.NotFound, "No such file or directory: "+p, nil)
	}
	if p == "" {
		t = time.Time{} // the root's time is the epoch, as Stat says
	}
	return s.dirInfo(contents.Base(p), t), out, true, nil
}

// list lists directory dir: its entries, whether any key lies under it
// (the root always counts), and its marker's time if it has one.
func (s *Store) list(ctx context.Context, dir string) ([]contents.Info, bool, time.Time, error) {
	pfx := s.dirKey(dir)
	var out []contents.Info
	var marker time.Time
	seen := map[string]bool{}
	found := dir == ""
	for oi := range s.c.Client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{FetchOwner: noOwner(), Prefix: pfx, MaxKeys: 1000}) {
		if oi.Err != nil {
			return nil, false, time.Time{}, s.kindErr(dir, oi.Err)
		}
		found = true
		if oi.Key == pfx {
			marker = oi.LastModified
			continue
		}
		name, isDir := strings.CutSuffix(strings.TrimPrefix(oi.Key, pfx), "/")
		if !validName(name) || (dir == "" && name == internalDir) || seen[name] {
			continue // a key no API path names
		}
		seen[name] = true
		if isDir {
			out = append(out, s.dirInfo(name, time.Time{}))
		} else {
			out = append(out, fileInfo(name, oi))
		}
	}
	return out, found, marker, nil
}

// validName reports whether an object name below a directory is an entry
// an API path can name.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}

// Open implements contents.Store. The reader issues ranged GETs as it is
// sought, so /files/ serves Range requests without reading the object.
func (s *Store) Open(ctx context.Context, p string) (io.ReadSeekCloser, contents.Info, error) {
	if p == "" {
		return nil, contents.Info{}, errkind.New(errkind.Invalid, "the root is a directory", nil)
	}
	// A plain client's GetObject: it reads lazily and seeks with ranges.
	obj, err := s.c.Client.GetObject(ctx, s.bucket, s.key(p), minio.GetObjectOptions{ServerSideEncryption: s.sseC()})
	if err != nil {
		return nil, contents.Info{}, s.kindErr(p, err)
	}
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		kerr := s.kindErr(p, err)
		if errkind.Is(kerr, errkind.NotFound) {
			if ok, _, derr := s.statDir(ctx, p); derr == nil && ok {
				return nil, contents.Info{}, errkind.Newf(errkind.Invalid, "%s is a directory", p)
			}
		}
		return nil, contents.Info{}, kerr
	}
	return obj, fileInfo(contents.Base(p), oi), nil
}

// sseC is the encryption a GET must name (only SSE-C, which Quire does
// not use).
func (s *Store) sseC() encrypt.ServerSide { return nil }

// checkTarget refuses a write to p when p is the root or a directory, or
// its parent is missing.
func (s *Store) checkTarget(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Invalid, "Cannot write the root directory", nil)
	}
	if ok, _, err := s.statDir(ctx, p); err != nil {
		return err
	} else if ok {
		return errkind.Newf(errkind.Invalid, "%s is a directory", p)
	}
	if dir := contents.Parent(p); dir != "" {
		// Something under dir/ makes it a directory (whether or not a
		// file named dir exists too, as S3 allows).
		ok, _, err := s.statDir(ctx, dir)
		if err != nil {
			return err
		}
		if !ok {
			return errkind.New(errkind.NotFound, "No such file or directory: "+dir, nil)
		}
	}
	return nil
}

// Write implements contents.Store: r is read whole first (into memory up
// to spoolMemory, then a temp file), so a failing reader never reaches
// S3, and one PUT of known size replaces the object: readers see the old
// object or the new one.
func (s *Store) Write(ctx context.Context, p string, r io.Reader) (contents.Info, error) {
	return s.put(ctx, p, r, nil)
}

// WriteIf implements contents.ConditionalWriter: the PUT carries If-Match
// (version) or If-None-Match: * (version ""), so a save another server
// made since Stat is never overwritten. Where the service ignores those
// headers (Probe found out), the version is compared just before the PUT:
// a short race window remains, which Probe's result and quire doctor
// report.
func (s *Store) WriteIf(ctx context.Context, p string, r io.Reader, version string) (contents.Info, error) {
	return s.put(ctx, p, r, &version)
}

// Conditional reports whether the service honours conditional PUTs; ok is
// false until Probe ran.
func (s *Store) Conditional() (conditional, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conditional == nil {
		return false, false
	}
	return *s.conditional, true
}

func (s *Store) put(ctx context.Context, p string, r io.Reader, version *string) (contents.Info, error) {
	if err := ctx.Err(); err != nil {
		return contents.Info{}, err
	}
	if err := s.checkTarget(ctx, p); err != nil {
		return contents.Info{}, err
	}
	body, size, done, err := s.spool(r)
	if err != nil {
		return contents.Info{}, fmt.Errorf("write %s: %w", p, err)
	}
	defer done()
	opts := s.putOptions()
	if version != nil {
		if err := s.condition(ctx, p, &opts, *version); err != nil {
			return contents.Info{}, err
		}
	}
	if _, err := s.c.Client.PutObject(ctx, s.bucket, s.key(p), body, size, opts); err != nil {
		return contents.Info{}, s.kindErr(p, err)
	}
	return s.Stat(ctx, p)
}

// condition makes a write of p (a PUT or a multipart completion) with
// opts conditional on p's version ("" = p must still be missing): by the
// If-Match / If-None-Match: * headers where the service honours them,
// else by comparing the version just before the write (a short race
// window, which Probe's result and quire doctor report).
func (s *Store) condition(ctx context.Context, p string, opts *minio.PutObjectOptions, version string) error {
	cond, known := s.Conditional()
	if !known && !s.noCond {
		// S3 was down when the server started: find out now.
		cond, _ = s.Probe(ctx)
	}
	if !cond || s.noCond {
		return s.compare(ctx, p, version)
	}
	if version == "" {
		opts.SetMatchETagExcept("*")
	} else {
		opts.SetMatchETag(version)
	}
	return nil
}

// putOptions are a PUT's options: the encryption asked for, and the body
// checked by Content-MD5 rather than signed (minio-go signs a plain-http
// body in aws-chunked form, which doubles a 20 MB save's time on both
// ends; over https it never signs it).
func (s *Store) putOptions() minio.PutObjectOptions {
	return minio.PutObjectOptions{ServerSideEncryption: s.sse, ContentType: "application/octet-stream", PartSize: 64 << 20,
		SendContentMd5: false, DisableContentSha256: true}
}

// compare is the fallback for services without conditional PUTs: it
// checks p's version just before the write.
func (s *Store) compare(ctx context.Context, p, version string) error {
	oi, err := s.c.StatObject(ctx, s.bucket, s.key(p), minio.StatObjectOptions{})
	kerr := s.kindErr(p, err)
	switch {
	case err == nil && strings.Trim(oi.ETag, `"`) == version && version != "":
		return nil
	case errkind.Is(kerr, errkind.NotFound) && version == "":
		return nil
	case err != nil && !errkind.Is(kerr, errkind.NotFound):
		return kerr
	}
	return errkind.New(errkind.Stale, p+" changed on the server (another save got there first); reload it before saving", nil)
}

// spoolMemory is how much of a write is held in memory before the rest
// goes to a temp file.
const spoolMemory = 64 << 20

// spoolChunk is the size of the pieces a write is held in: fixed pieces,
// kept for reuse, rather than one growing buffer (whose doublings and
// clearing cost a 20 MB save more than the PUT).
const spoolChunk = 1 << 20

// spool reads r whole and returns its bytes as a reader of known size,
// and the function that releases them.
func (s *Store) spool(r io.Reader) (io.ReadSeeker, int64, func(), error) {
	c := &chunks{}
	release := func() {
		for _, b := range c.bufs {
			s.chunkPool.Put(b)
		}
		c.bufs = nil
	}
	for c.size <= spoolMemory {
		b := s.chunkPool.Get().(*[spoolChunk]byte)
		n, err := io.ReadFull(r, b[:])
		c.bufs = append(c.bufs, b)
		c.size += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return c, c.size, release, nil
		}
		if err != nil {
			release()
			return nil, 0, nil, err
		}
	}
	f, err := os.CreateTemp("", "quire-s3-spool-")
	if err != nil {
		release()
		return nil, 0, nil, err
	}
	done := func() { release(); f.Close(); os.Remove(f.Name()) }
	m, err := io.Copy(f, io.MultiReader(c, r))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		done()
		return nil, 0, nil, err
	}
	return f, m, done, nil
}

// chunks reads and seeks over the bytes spool held.
type chunks struct {
	bufs      []*[spoolChunk]byte
	size, off int64
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.off >= c.size {
		return 0, io.EOF
	}
	b := c.bufs[c.off/spoolChunk]
	start := c.off % spoolChunk
	end := min(int64(spoolChunk), c.size-(c.off-start))
	n := copy(p, b[start:end])
	c.off += int64(n)
	return n, nil
}

func (c *chunks) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.size
	}
	if offset < 0 {
		return 0, errors.New("s3store: seek before start")
	}
	c.off = offset
	return offset, nil
}

// Append implements contents.Store. S3 cannot append: the object is read
// and written again whole. The service never appends to an S3 store (it
// uses StartUpload); this is for the Store contract.
func (s *Store) Append(ctx context.Context, p string, r io.Reader) (contents.Info, error) {
	if err := s.checkTarget(ctx, p); err != nil {
		return contents.Info{}, err
	}
	var old io.Reader = bytes.NewReader(nil)
	f, _, err := s.Open(ctx, p)
	switch {
	case err == nil:
		defer f.Close()
		old = f
	case !errkind.Is(err, errkind.NotFound):
		return contents.Info{}, err
	}
	return s.put(ctx, p, io.MultiReader(old, r), nil)
}

// Mkdir implements contents.Store: it writes the marker object.
func (s *Store) Mkdir(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Conflict, "File already exists: root", nil)
	}
	if _, err := s.Stat(ctx, p); err == nil {
		return errkind.New(errkind.Conflict, "File already exists: "+p, nil)
	} else if !errkind.Is(err, errkind.NotFound) {
		return err
	}
	if dir := contents.Parent(p); dir != "" {
		info, err := s.Stat(ctx, dir)
		if err != nil {
			return err
		}
		if !info.Dir {
			return errkind.Newf(errkind.NotFound, "No such directory: %s", dir)
		}
	}
	_, err := s.c.Client.PutObject(ctx, s.bucket, s.dirKey(p), bytes.NewReader(nil), 0, minio.PutObjectOptions{ServerSideEncryption: s.sse})
	return s.kindErr(p, err)
}

// Copy implements contents.Copier with a server-side copy.
func (s *Store) Copy(ctx context.Context, from, to string) (contents.Info, error) {
	if err := s.checkTarget(ctx, to); err != nil {
		return contents.Info{}, err
	}
	if err := s.copyKey(ctx, s.key(from), s.key(to)); err != nil {
		return contents.Info{}, s.kindErr(from, err)
	}
	return s.Stat(ctx, to)
}

func (s *Store) copyKey(ctx context.Context, from, to string) error {
	_, err := s.c.Client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: to, Encryption: s.sse},
		minio.CopySrcOptions{Bucket: s.bucket, Object: from})
	return err
}

// keysUnder lists every object key at or below directory key pfx.
func (s *Store) keysUnder(ctx context.Context, pfx string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for oi := range s.c.Client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{FetchOwner: noOwner(), Prefix: pfx, Recursive: true, MaxKeys: 1000}) {
		if oi.Err != nil {
			return nil, oi.Err
		}
		out = append(out, oi)
	}
	return out, nil
}

// removeKeys deletes keys, deepest first (a file gateway removes a
// directory only once it is empty), in batches of 1000.
func (s *Store) removeKeys(ctx context.Context, keys []string) error {
	sortDeepestFirst(keys)
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ch := make(chan minio.ObjectInfo, n)
		for _, k := range keys[:n] {
			ch <- minio.ObjectInfo{Key: k}
		}
		close(ch)
		for e := range s.c.Client.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
			if e.Err != nil && minio.ToErrorResponse(e.Err).Code != "NoSuchKey" {
				return e.Err
			}
		}
		keys = keys[n:]
	}
	return nil
}

// sortDeepestFirst orders keys so that a key comes before any key that is
// a prefix of it (a directory's marker after its contents): descending
// order puts "d/e/f" before "d/e/" before "d/".
func sortDeepestFirst(keys []string) {
	slices.Sort(keys)
	slices.Reverse(keys)
}

// Remove implements contents.Store.
func (s *Store) Remove(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Invalid, "Can't delete root", nil)
	}
	info, err := s.Stat(ctx, p)
	if err != nil {
		return err
	}
	if !info.Dir {
		return s.kindErr(p, s.c.Client.RemoveObject(ctx, s.bucket, s.key(p), minio.RemoveObjectOptions{}))
	}
	objs, err := s.keysUnder(ctx, s.dirKey(p))
	if err != nil {
		return s.kindErr(p, err)
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return s.kindErr(p, s.removeKeys(ctx, keys))
}

// Trash implements contents.Store: p moves (copy, then delete, like a
// rename) to "<prefix>/.quire-s3/trash/<time>/<p>", which no API path
// reaches; a bucket lifecycle rule can expire it.
func (s *Store) Trash(ctx context.Context, p string) error {
	if p == "" {
		return errkind.New(errkind.Invalid, "Can't delete root", nil)
	}
	info, err := s.Stat(ctx, p)
	if err != nil {
		return err
	}
	dst := internalDir + "/trash/" + time.Now().UTC().Format("20060102T150405.000000000Z") + "/" + p
	return s.move(ctx, p, dst, info.Dir)
}

// Rename implements contents.Store. A file is copied then deleted; a
// directory's objects are all copied, then all deleted, under a journal
// object that Recover finishes from if the process dies in between:
// there is always at least one whole copy.
func (s *Store) Rename(ctx context.Context, from, to string) error {
	info, err := s.Stat(ctx, from)
	if err != nil {
		return err
	}
	if dir := contents.Parent(to); dir != "" {
		di, err := s.Stat(ctx, dir)
		if err != nil {
			return err
		}
		if !di.Dir {
			return errkind.Newf(errkind.NotFound, "No such directory: %s", dir)
		}
	}
	if ti, err := s.Stat(ctx, to); err == nil && ti.Dir {
		if !info.Dir {
			return errkind.Newf(errkind.Invalid, "%s is a directory", to)
		}
		if entries, err := s.List(ctx, to); err != nil || len(entries) > 0 {
			return errkind.New(errkind.Conflict, "File already exists: "+to, err)
		}
	} else if err == nil && info.Dir {
		return errkind.Newf(errkind.Invalid, "%s is not a directory", to)
	}
	if info.Dir && (to == from || strings.HasPrefix(to, from+"/")) {
		return errkind.Newf(errkind.Invalid, "Cannot move %s into itself", from)
	}
	return s.move(ctx, from, to, info.Dir)
}
