package trust

import "time"

// SetClock replaces the Notary's clock (last_seen times) in tests.
func SetClock(n *Notary, now func() time.Time) { n.now = now }
