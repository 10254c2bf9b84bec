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

// s3CredentialEnv are the variables the S3 contents store's credential
// chain takes its keys from (the AWS names, and the older AWS_ACCESS_KEY
// and AWS_SECRET_KEY that minio-go also reads). With an S3 store they are
// Quire's credentials for the whole bucket (in a hub deployment, every
// user's notebooks under other prefixes too), so they are secrets like
// QUIRE_TOKEN. Where they do not come from, and the shared credentials
// file and profile, are left alone: a file on disk is no environment
// variable a kernel prints by accident, and a profile names no secret.
var s3CredentialEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY"}

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

// SecretEnvNames is the package's SecretEnvNames for these settings: with
// an S3 --contents-store, the AWS credential variables the store's keys
// come from are secrets too. With the disk store they are the user's own,
// for their code, and kernels keep them.
func (c *Config) SecretEnvNames() []string {
	names := SecretEnvNames()
	if c.ContentsStore != "" {
		names = append(names, s3CredentialEnv...)
		slices.Sort(names)
	}
	return names
}

// ChildEnv returns environ (KEY=value entries, as os.Environ gives them)
// without the variables SecretEnvNames lists for Quire's own settings
// alone (no S3 store). Callers with the running configuration use its
// ChildEnv method.
func ChildEnv(environ []string) []string { return (&Config{}).ChildEnv(environ) }

// ChildEnv returns environ without the variables c.SecretEnvNames lists:
// the one place that decides what a process Quire starts (a kernel, a
// terminal) inherits of Quire's secrets. Order and every other entry are
// kept.
func (c *Config) ChildEnv(environ []string) []string {
	secret := c.SecretEnvNames()
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
