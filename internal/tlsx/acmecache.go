package tlsx

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"quire/internal/safefile"
)

// cache is autocert's store on disk: a file per key in dir (0700), each
// written whole with mode 0600 through safefile, since most hold a
// private key (the account's, or a certificate's with its chain). A
// certificate of one of names being stored is logged: that is how a new
// or renewed certificate shows.
type cache struct {
	dir   string
	names map[string]bool
	log   *slog.Logger
}

var _ autocert.Cache = (*cache)(nil)

// path maps an autocert key ("notebook.example.org", "acme_account+key",
// "<token>+http-01") to its file; a key that is not one plain file name is
// refused.
func (c *cache) path(key string) (string, error) {
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, "/\\\x00") {
		return "", fmt.Errorf("ACME cache: bad key %q", key)
	}
	return filepath.Join(c.dir, key), nil
}

func (c *cache) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := c.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, autocert.ErrCacheMiss
	}
	if err != nil {
		return nil, fmt.Errorf("ACME cache: %w", err)
	}
	return b, nil
}

func (c *cache) Put(ctx context.Context, key string, data []byte) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	if err := safefile.WriteFile(p, data, 0o600); err != nil {
		c.log.Warn("ACME: could not store in the cache; a restart will order again", "key", key, "err", err)
		return fmt.Errorf("ACME cache: %w", err)
	}
	if c.names[key] {
		attrs := []any{"domain", key}
		if leaf := firstCert(data); leaf != nil {
			attrs = append(attrs, "serial", leaf.SerialNumber.Text(16),
				"not_after", leaf.NotAfter.UTC().Format(time.RFC3339), "issuer", leaf.Issuer.CommonName)
		}
		c.log.Info("ACME: new certificate from the CA stored", attrs...)
	}
	return nil
}

func (c *cache) Delete(ctx context.Context, key string) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ACME cache: %w", err)
	}
	return nil
}

// firstCert parses the first CERTIFICATE block of an autocert entry (a key
// block, then the chain), or returns nil.
func firstCert(data []byte) *x509.Certificate {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil
		}
		if b.Type == "CERTIFICATE" {
			leaf, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil
			}
			return leaf
		}
	}
}
