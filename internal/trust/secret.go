package trust

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// loadSecret reads path, or creates it (mode 0600) with a fresh secret if
// it is missing. Two processes creating it at once agree on one secret: the
// file appears whole, by a hard link, or not at all.
func loadSecret(path string) (key []byte, created bool, err error) {
	key, err = os.ReadFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read notebook secret: %w", err)
	}
	tmp, err := writeTemp(filepath.Dir(path), newSecret())
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, fmt.Errorf("create notebook secret: %w", err)
		}
		// Someone else won the race: use theirs.
		key, err = os.ReadFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("read notebook secret: %w", err)
		}
		return key, false, nil
	}
	key, err = os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read notebook secret: %w", err)
	}
	return key, true, nil
}

// replaceSecret atomically writes a fresh secret over path.
func replaceSecret(path string) error {
	tmp, err := writeTemp(filepath.Dir(path), newSecret())
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replace notebook secret: %w", err)
	}
	return nil
}

// writeTemp writes data to a new 0600 file in dir and returns its name.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".notebook_secret-*")
	if err != nil {
		return "", fmt.Errorf("create notebook secret: %w", err)
	}
	name := f.Name()
	err = f.Chmod(0o600) // CreateTemp already uses 0600; make sure whatever the umask
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("write notebook secret: %w", err)
	}
	return name, nil
}
