package trust

import (
	"context"
	"database/sql"
	"time"
)

// SetClock replaces the Notary's clock (last_seen times) in tests.
func SetClock(n *Notary, now func() time.Time) { n.now = now }

// PageCacheKiB reads the database's PRAGMA cache_size (negative: KiB).
func PageCacheKiB(n *Notary) (int, error) {
	var v int
	err := n.withDB(func(ctx context.Context, db *sql.DB) error {
		return db.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&v)
	}, "read cache_size")
	return v, err
}
