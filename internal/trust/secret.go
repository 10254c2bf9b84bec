package trust

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"quire/internal/safefile"
)

// secretBytes is how much randomness a new secret holds (nbformat's 1024).
const secretBytes = 1024

// newSecret returns nbformat's form of a fresh secret: Python's
// base64.encodebytes of 1024 random bytes (76-character lines, each ending
// in "\n"). The file's bytes, not the decoded ones, are the HMAC key.
func newSecret() []byte {
	raw := make([]byte, secretBytes)
	_, _ = rand.Read(raw) // never fails (crypto/rand panics instead)
	enc := base64.StdEncoding.EncodeToString(raw)
	out := make([]byte, 0, len(enc)+len(enc)/76+1)
	for len(enc) > 76 {
		out = append(append(out, enc[:76]...), '\n')
		enc = enc[76:]
	}
	return append(append(out, enc...), '\n')
}

// loadSecret reads path, or creates it (mode 0600, through safefile) with a
// fresh secret if it is missing. Two processes creating it at once agree on
// one secret: the file appears whole, by a hard link, or not at all.
func loadSecret(path string) (key []byte, created bool, err error) {
	key, err = os.ReadFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read notebook secret: %w", err)
	}
	err = safefile.WriteNew(path, newSecret(), 0o600)
	created = err == nil
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("create notebook secret: %w", err)
	}
	// Ours, or the one a concurrent process won the race with.
	key, err = os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read notebook secret: %w", err)
	}
	return key, created, nil
}

// replaceSecret atomically writes a fresh secret over path.
func replaceSecret(path string) error {
	if err := safefile.WriteFile(path, newSecret(), 0o600); err != nil {
		return fmt.Errorf("replace notebook secret: %w", err)
	}
	return nil
}
