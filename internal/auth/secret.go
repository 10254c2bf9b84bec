package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"quire/internal/safefile"
)

// SecretFile, in the data dir, holds 32 random bytes, base64 and a
// newline, mode 0600. It keys the login cookies' signatures together with
// the password hash.
const SecretFile = "quire_cookie_secret"

const secretLen = 32

// loadSecret reads dir/quire_cookie_secret, creating dir (0700) and the file
// (0600) when missing. It refuses a file that group or others may read, or
// that is not a regular file.
func loadSecret(dir string) ([]byte, error) {
	if err := safefile.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	p := filepath.Join(dir, SecretFile)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createSecret(p); err != nil {
			return nil, err
		}
		fi, err = os.Lstat(p)
	}
	if err != nil {
		return nil, fmt.Errorf("cookie secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cookie secret %s is not a regular file; remove it and Quire creates a new one", p)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("cookie secret %s is accessible by group or others (mode %04o); fix it with: chmod 600 %s",
			p, fi.Mode().Perm(), p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("cookie secret: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < secretLen {
		return nil, fmt.Errorf("cookie secret %s is not base64 of %d or more bytes; remove it and Quire creates a new one (everybody is logged out)", p, secretLen)
	}
	return key, nil
}

// createSecret creates p with a new secret through safefile.WriteNew: the
// file appears whole or not at all, and when two starting servers race the
// second keeps the first one's secret.
func createSecret(p string) error {
	key := make([]byte, secretLen)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("cookie secret: %w", err)
	}
	err := safefile.WriteNew(p, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cookie secret: %w", err)
	}
	return nil
}
