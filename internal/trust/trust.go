// Package trust signs notebooks exactly as nbformat's NotebookNotary does
// (spec §6), sharing its secret file and SQLite signature database so that
// a notebook trusted under Jupyter stays trusted under Quire and back.
//
// A notebook is trusted on this machine when its signature (Signature, an
// HMAC of its whole content) is in <data dir>/nbsignatures.db. The HMAC key
// is the raw bytes of <data dir>/notebook_secret, created on first use.
//
// The database may be shared with running Jupyter servers and `jupyter
// trust`: it stays in SQLite's default rollback-journal mode, every
// statement is short, writes wait for other processes' locks up to
// Options.BusyTimeout, and a Notary serialises its own use of it. When the
// secret file or the database file is replaced behind its back (`jupyter
// trust --reset` deletes the database and writes a new secret), a Notary
// notices on its next call and follows.
package trust

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"quire/internal/nbformat"
	"quire/internal/safefile"
)

// File names inside the data directory, as nbformat names them.
const (
	SecretFile   = "notebook_secret"
	DatabaseFile = "nbsignatures.db"
)

// Defaults for zero Options fields.
const (
	DefaultCacheSize   = 65535 // nbformat's SQLiteSignatureStore.cache_size
	DefaultBusyTimeout = 10 * time.Second
)

// Options configure a Notary.
type Options struct {
	// DataDir holds the secret and the database: Jupyter's data directory
	// ($JUPYTER_DATA_DIR, $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter)
	// unless the user chose another. Created (0700) if missing.
	DataDir string
	// Log receives warnings (nil: discard). It never sees the secret.
	Log *slog.Logger
	// CacheSize is how many signatures the database keeps: past it, the
	// least recently seen are dropped down to three quarters of it, as
	// nbformat does. 0 means DefaultCacheSize.
	CacheSize int
	// BusyTimeout is how long a statement waits for another process's lock
	// on the database. 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Notary computes, checks and records notebook signatures. Its methods are
// safe for concurrent use.
type Notary struct {
	opt        Options
	log        *slog.Logger
	secretPath string
	dbPath     string
	now        func() time.Time

	keyMu   sync.Mutex
	key     []byte
	keyStat os.FileInfo

	dbMu   sync.Mutex // one statement sequence at a time: Quire's single writer
	db     *sql.DB
	dbStat os.FileInfo // nil when the database fell back to memory
}

// Open loads (or creates) the secret and opens (or creates) the signature
// database in o.DataDir. A database that is not SQLite or is corrupt is
// renamed to nbsignatures.db.bak and replaced, as nbformat does; if even a
// new one cannot be created, signatures are kept in memory for the life of
// the Notary.
func Open(o Options) (*Notary, error) {
	if o.DataDir == "" {
		return nil, errors.New("trust: no data directory")
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := safefile.MkdirAll(o.DataDir); err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	n := &Notary{
		opt:        o,
		log:        log,
		secretPath: filepath.Join(o.DataDir, SecretFile),
		dbPath:     filepath.Join(o.DataDir, DatabaseFile),
		now:        time.Now,
	}
	if err := n.reloadKey(); err != nil {
		return nil, err
	}
	if err := n.openDB(); err != nil {
		return nil, err
	}
	return n, nil
}

// Close closes the database.
func (n *Notary) Close() error {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	if n.db == nil {
		return nil
	}
	err := n.db.Close()
	n.db = nil
	return err
}

// SecretPath is the secret file the Notary keys its HMAC with.
func (n *Notary) SecretPath() string { return n.secretPath }

// DatabasePath is the signature database file.
func (n *Notary) DatabasePath() string { return n.dbPath }

// Trusted reports whether nb's signature is in the database, refreshing
// its last-seen time if so (nbformat's check_signature). Errors count as
// untrusted and are logged.
func (n *Notary) Trusted(nb *nbformat.Notebook) bool {
	if major, _ := nb.Version(); major < 3 {
		return false
	}
	sig, err := n.Signature(nb)
	if err != nil {
		n.log.Warn("cannot compute notebook signature", "err", err)
		return false
	}
	ok, err := n.check(sig)
	if err != nil {
		n.log.Warn("cannot check notebook signature", "err", err)
		return false
	}
	return ok
}

// Sign records nb's signature as trusted (nbformat's sign), then culls the
// least recently seen signatures if there are more than Options.CacheSize.
func (n *Notary) Sign(nb *nbformat.Notebook) error {
	if major, _ := nb.Version(); major < 3 {
		return nil
	}
	sig, err := n.Signature(nb)
	if err != nil {
		return err
	}
	return n.store(sig)
}

// Unsign forgets nb's signature (nbformat's unsign).
func (n *Notary) Unsign(nb *nbformat.Notebook) error {
	sig, err := n.Signature(nb)
	if err != nil {
		return err
	}
	return n.withDB(func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `DELETE FROM nbsignatures WHERE algorithm = ? AND signature = ?`, Algorithm, sig)
		return err
	}, "remove signature")
}

// Reset forgets every signature and replaces the secret with a new one, as
// `jupyter trust --reset` does. Jupyter deletes the database file; Reset
// empties it instead, so that servers (Jupyter's or Quire's) holding it
// open keep writing to the file everyone reads rather than to a deleted
// one. Other Notaries pick the new secret up on their next call; running
// Jupyter servers keep their old one until restarted, as with jupyter
// trust --reset.
func (n *Notary) Reset() error {
	err := n.withDB(func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `DELETE FROM nbsignatures`)
		return err
	}, "forget signatures")
	if err != nil {
		return err
	}
	n.keyMu.Lock()
	defer n.keyMu.Unlock()
	if err := replaceSecret(n.secretPath); err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	n.keyStat = nil
	return n.reloadKeyLocked()
}

// secret returns the HMAC key, re-reading the secret file if it changed.
func (n *Notary) secret() []byte {
	n.keyMu.Lock()
	defer n.keyMu.Unlock()
	if fi, err := os.Stat(n.secretPath); err == nil && n.keyStat != nil && sameVersion(fi, n.keyStat) {
		return n.key
	}
	if err := n.reloadKeyLocked(); err != nil {
		n.log.Warn("cannot reload notebook secret; keeping the previous one", "err", err)
	}
	return n.key
}

func (n *Notary) reloadKey() error {
	n.keyMu.Lock()
	defer n.keyMu.Unlock()
	return n.reloadKeyLocked()
}

func (n *Notary) reloadKeyLocked() error {
	key, created, err := loadSecret(n.secretPath)
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if created {
		n.log.Info("wrote notebook signing key", "path", n.secretPath)
	}
	fi, err := os.Stat(n.secretPath)
	if err != nil {
		return fmt.Errorf("trust: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		n.log.Warn("notebook secret is readable by other users", "path", n.secretPath, "mode", fi.Mode().Perm().String())
	}
	n.key, n.keyStat = key, fi
	return nil
}

// sameVersion reports whether two stats are of the same, unchanged file.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// check is nbformat's SQLiteSignatureStore.check_signature.
func (n *Notary) check(sig string) (bool, error) {
	found := false
	err := n.withDB(func(ctx context.Context, db *sql.DB) error {
		var id int64
		var seen any
		err := db.QueryRowContext(ctx, `SELECT id, last_seen FROM nbsignatures WHERE algorithm = ? AND signature = ?`, Algorithm, sig).Scan(&id, &seen)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		// last_seen only orders signatures for pruning, so refreshing it at
		// most once every SeenGranularity spares nearly every notebook load
		// a database write (a journal and several fsyncs: ~100 ms here).
		if t, ok := parseSeen(seen); ok && n.now().Sub(t) < SeenGranularity {
			return nil
		}
		_, err = db.ExecContext(ctx, `UPDATE nbsignatures SET last_seen = ? WHERE id = ?`, n.timestamp(), id)
		return err
	}, "check signature")
	return found, err
}

// SeenGranularity is how stale last_seen may get before a check refreshes it.
const SeenGranularity = time.Hour

// parseSeen reads a last_seen value: the driver hands a column declared
// timestamp back as a time.Time, or as text in one of nbformat's layouts.
func parseSeen(v any) (time.Time, bool) {
	if t, ok := v.(time.Time); ok {
		return t, true
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, false
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// store is nbformat's store_signature plus cull_db (which nbformat leaves
// uncommitted until its next write; here it commits at once).
func (n *Notary) store(sig string) error {
	return n.withDB(func(ctx context.Context, db *sql.DB) error {
		tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock up front
		if err != nil {
			return err
		}
		defer tx.Rollback()
		now := n.timestamp()
		res, err := tx.ExecContext(ctx, `UPDATE nbsignatures SET last_seen = ? WHERE algorithm = ? AND signature = ?`, now, Algorithm, sig)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO nbsignatures (algorithm, signature, last_seen) VALUES (?, ?, ?)`, Algorithm, sig, now); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		var count int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM nbsignatures`).Scan(&count); err != nil {
			return err
		}
		if count <= n.opt.CacheSize {
			return nil
		}
		keep := max(n.opt.CacheSize*3/4, 1) // nbformat: max(int(0.75 * cache_size), 1)
		_, err = db.ExecContext(ctx, `DELETE FROM nbsignatures WHERE id IN (SELECT id FROM nbsignatures ORDER BY last_seen DESC LIMIT -1 OFFSET ?)`, keep)
		return err
	}, "store signature")
}

// timestamp renders now as current nbformat stores last_seen (Python's
// sqlite3 adapter for an aware UTC datetime: isoformat(" ")), so that
// ORDER BY last_seen sorts rows from both alike.
func (n *Notary) timestamp() string {
	return n.now().UTC().Format("2006-01-02 15:04:05.000000+00:00")
}

// withDB runs f on the database under the Notary's lock with a deadline
// (never a caller's cancellation: modernc's SQLite is slow to cancel and a
// half-done write helps no one), reopening the database first if its file
// was deleted or replaced.
func (n *Notary) withDB(f func(ctx context.Context, db *sql.DB) error, what string) error {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	if n.db == nil {
		return errors.New("trust: notary is closed")
	}
	if n.dbStat != nil {
		if fi, err := os.Stat(n.dbPath); err != nil || !os.SameFile(fi, n.dbStat) {
			n.log.Info("signature database was replaced; reopening it", "path", n.dbPath)
			_ = n.db.Close()
			n.db = nil
			if err := n.openDBLocked(); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opt.BusyTimeout+5*time.Second)
	defer cancel()
	if err := f(ctx, n.db); err != nil {
		return fmt.Errorf("trust: %s: %w", what, err)
	}
	return nil
}

func (n *Notary) openDB() error {
	n.dbMu.Lock()
	defer n.dbMu.Unlock()
	return n.openDBLocked()
}

// openDBLocked opens the database file, moving a corrupt one aside and
// falling back to memory as nbformat's _connect_db does. Unlike nbformat,
// only "not a database" and "corrupt" count as corrupt: a database locked
// by another process is waited for, never renamed.
func (n *Notary) openDBLocked() error {
	db, err := n.connect(n.dbPath)
	if err == nil {
		return n.adopt(db)
	}
	if !isCorrupt(err) {
		return err
	}
	bak := n.dbPath + ".bak"
	n.log.Warn("the signature database cannot be opened; it was renamed and a new one created (notebooks may need to be trusted again)", "backup", bak, "err", err)
	if rerr := os.Rename(n.dbPath, bak); rerr == nil {
		if db, err = n.connect(n.dbPath); err == nil {
			return n.adopt(db)
		}
	}
	n.log.Warn("cannot create a signature database; signatures last only until Quire stops", "path", n.dbPath)
	db, err = n.connect(":memory:")
	if err != nil {
		return err
	}
	n.db, n.dbStat = db, nil
	return nil
}

func (n *Notary) adopt(db *sql.DB) error {
	fi, err := os.Stat(n.dbPath)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("trust: %w", err)
	}
	n.db, n.dbStat = db, fi
	return nil
}

// pageCacheKiB bounds SQLite's page cache for the signature database
// (its default is 2 MiB per connection). The cache lives outside the Go
// heap and fills as the database grows (a row per signed save, up to
// CacheSize rows), so left at the default it is resident memory that only
// grows for the first hours of a busy server. Lookups go by one index
// (algorithm, signature), whose upper levels fit in far less; a miss costs
// a read of a page the OS most likely still caches.
const pageCacheKiB = 256

// connect opens path with one connection (so ":memory:" persists and the
// Notary's statements never race each other) and creates nbformat's table
// and index if missing.
func (n *Notary) connect(path string) (*sql.DB, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("trust: database path %q may not contain '?'", path)
	}
	if path != ":memory:" {
		if err := n.prepareFile(path); err != nil {
			return nil, err
		}
	}
	dsn := path + "?_busy_timeout=" + strconv.FormatInt(n.opt.BusyTimeout.Milliseconds(), 10) + "&_txlock=immediate" +
		"&_pragma=cache_size(-" + strconv.Itoa(pageCacheKiB) + ")"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("trust: open signature database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithTimeout(context.Background(), n.opt.BusyTimeout+5*time.Second)
	defer cancel()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS nbsignatures (id integer PRIMARY KEY AUTOINCREMENT, algorithm text, signature text, path text, last_seen timestamp)`,
		`CREATE INDEX IF NOT EXISTS algosig ON nbsignatures(algorithm, signature)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("trust: initialise signature database: %w", err)
		}
	}
	return db, nil
}

// prepareFile makes sure the database file at path is private before
// SQLite opens it: a missing one is created empty (SQLite reads an empty
// file as a new database) with mode 0600 instead of SQLite's 0644, and an
// existing regular file readable by others (as nbformat creates it) is
// tightened to 0600. SQLite gives its -journal and -wal files the
// database's mode, so they stay private too.
func (n *Notary) prepareFile(path string) error {
	err := safefile.WriteNew(path, nil, 0o600)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		if err != nil {
			return fmt.Errorf("trust: %w", err)
		}
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
		return nil // SQLite reports what is wrong with it, if anything
	}
	if err := os.Chmod(path, fi.Mode().Perm()&0o700); err != nil {
		n.log.Warn("the signature database is readable by other users and its mode cannot be changed", "path", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()), "err", err)
		return nil
	}
	n.log.Info("the signature database was readable by other users; its mode is now private", "path", path, "was", fmt.Sprintf("%04o", fi.Mode().Perm()))
	return nil
}

// isCorrupt reports whether err says the file is not a usable database.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return true
	}
	return false
}
