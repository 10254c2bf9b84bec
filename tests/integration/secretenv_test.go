//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"

	"quire/internal/kernel/wire"
)

// A kernel never inherits Quire's credentials: started with QUIRE_TOKEN,
// QUIRE_PASSWORD and a JupyterHub token in its environment, the server
// starts a kernel whose environment holds none of them (so %env cannot
// print the password into a notebook), while ordinary variables pass.
func TestKernelEnvHoldsNoSecrets(t *testing.T) {
	needIPyKernel(t)
	const token = "envtoken0123456789abcdef0123456789"
	const password = "env-password-Zx9"
	in := startQuire(t, opts{env: []string{
		"QUIRE_TOKEN=" + token,
		"QUIRE_PASSWORD=" + password,
		"JUPYTERHUB_API_TOKEN=hubtoken0123456789",
		"QUIRE_TEST_PLAIN=kept",
	}})
	if in.Token != token {
		t.Fatalf("runtime file token %q, want QUIRE_TOKEN's", in.Token)
	}
	k := startKernel(t, in)
	w := mustDial(t, in, k.ID, wire.NewID(), false)
	defer w.close()
	r := w.execute("import os; print(sorted(k for k in os.environ if 'TOKEN' in k or 'PASSWORD' in k)); print(os.environ.get('QUIRE_TEST_PLAIN'))\n"+
		"print(any(v in ("+pyStr(token)+", "+pyStr(password)+") for v in os.environ.values()))", 60*time.Second)
	if want := "[]\nkept\nFalse\n"; r.Stdout != want {
		t.Errorf("kernel sees secret variables: stdout %q, want %q", r.Stdout, want)
	}
}

// pyStr quotes s as a Python string literal (s holds no quote or backslash).
func pyStr(s string) string {
	if strings.ContainsAny(s, `'\`) {
		panic("pyStr: " + s)
	}
	return "'" + s + "'"
}
