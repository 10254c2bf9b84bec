// Package isotime renders timestamps the way Jupyter's REST API does, for
// every model that carries one (contents' created and last_modified, a
// kernel's last_activity, /api/status), so that they all agree.
package isotime

import "time"

// Format renders t as jupyter_server does: UTC ISO 8601 with "Z", with
// microseconds only when they are not zero ("2024-05-01T10:00:00Z",
// "2024-05-01T10:00:00.500000Z"). Nanoseconds are truncated, not rounded.
func Format(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}
