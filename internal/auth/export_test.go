package auth

// Test hooks for the black-box tests in package auth_test.

// HashRuns is the number of password hash checks a has run.
func HashRuns(a *Auth) int64 { return a.hashRuns.Load() }

// SetVerify replaces the password check (to block or count it).
func SetVerify(a *Auth, f func(hash, pw string) (bool, error)) { a.verify = f }

// ThrottleSize is the number of client addresses the throttle tracks.
func ThrottleSize(a *Auth) int { return a.thr.size() }

// DeviceCookieName is the name of a's device cookie.
func DeviceCookieName(a *Auth) string { return a.dev.name }

// MintDevice signs a device cookie value for user, issued at issued, as a
// successful login would (any user and time, to test refusals).
func MintDevice(a *Auth, nonce []byte, issued int64, user string) string {
	return a.dev.value(nonce, issued, user)
}

// DeviceUser is the account name device cookies carry.
const DeviceUser = deviceUser

// DevicesTracked is the number of device cookies a tracks.
func DevicesTracked(a *Auth) int { return a.dev.size() }
