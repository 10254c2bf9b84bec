package config

import (
	"slices"
	"strings"
)

// jupyterSecretEnv are credentials Jupyter and JupyterHub pass to a server
// through its environment. A server started by JupyterHub gets its hub API
// token this way; a kernel does not need it, and a notebook printing %env
// would put it in the notebook.
var jupyterSecretEnv = []string{"JUPYTER_TOKEN", "JUPYTER_PASSWORD", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"}

// SecretEnvNames lists the environment variables that carry Quire's own
// credentials: QUIRE_PASSWORD, the QUIRE_* variable of every setting marked
// secret in the settings table (QUIRE_TOKEN, QUIRE_PASSWORD_HASH, ...), and
// the Jupyter and JupyterHub tokens.
func SecretEnvNames() []string {
	names := []string{"QUIRE_PASSWORD"}
	for _, s := range (&Config{}).settings() {
		if s.secret {
			names = append(names, envName(s.name))
		}
	}
	names = append(names, jupyterSecretEnv...)
	slices.Sort(names)
	return names
}

// ChildEnv returns environ (KEY=value entries, as os.Environ gives them)
// without the variables SecretEnvNames lists: the one place that decides
// what a process Quire starts (a kernel, a terminal) inherits of Quire's
// secrets. Order and every other entry are kept.
func ChildEnv(environ []string) []string {
	secret := SecretEnvNames()
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if _, found := slices.BinarySearch(secret, k); found {
			continue
		}
		out = append(out, kv)
	}
	return out
}
