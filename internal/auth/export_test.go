package auth

// Test hooks for the black-box tests in package auth_test.

// HashRuns is the number of password hash checks a has run.
func HashRuns(a *Auth) int64 { return a.hashRuns.Load() }

// SetVerify replaces the password check (to block or count it).
func SetVerify(a *Auth, f func(hash, pw string) (bool, error)) { a.verify = f }

// ThrottleSize is the number of client addresses the throttle tracks.
func ThrottleSize(a *Auth) int { return a.thr.size() }
