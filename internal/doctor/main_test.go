package doctor_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Remote starts connections and a WebSocket; none may outlive a check.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
