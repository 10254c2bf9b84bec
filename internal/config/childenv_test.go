package config_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"quire/internal/config"
)

func TestChildEnvDropsSecrets(t *testing.T) {
	in := []string{
		"PATH=/usr/bin",
		"QUIRE_TOKEN=tok",
		"QUIRE_PASSWORD=pw",
		"QUIRE_PASSWORD_HASH=argon2:x",
		"JUPYTER_TOKEN=jt",
		"JUPYTERHUB_API_TOKEN=hub",
		"JPY_API_TOKEN=jpy",
		"QUIRE_PORT=8888",     // not a secret: kept
		"quire_token=lower",   // another variable on Linux: kept
		"QUIRE_TOKEN_FILE=/x", // a different name: kept
		"HOME=/home/u",
		"NOEQUALS",
	}
	want := []string{"PATH=/usr/bin", "QUIRE_PORT=8888", "quire_token=lower", "QUIRE_TOKEN_FILE=/x", "HOME=/home/u", "NOEQUALS"}
	if diff := cmp.Diff(want, config.ChildEnv(in)); diff != "" {
		t.Errorf("ChildEnv (-want +got):\n%s", diff)
	}
}

// Every setting that holds a credential has its variable listed, so a new
// secret setting marked in the table is kept from kernels without more code.
func TestSecretEnvNames(t *testing.T) {
	names := config.SecretEnvNames()
	for _, n := range []string{"QUIRE_TOKEN", "QUIRE_PASSWORD", "QUIRE_PASSWORD_HASH", "JUPYTER_TOKEN", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"} {
		if !slices.Contains(names, n) {
			t.Errorf("SecretEnvNames() = %v, lacks %s", names, n)
		}
	}
	for _, n := range []string{"QUIRE_PORT", "QUIRE_ROOT_DIR", "QUIRE_KEYFILE"} {
		if slices.Contains(names, n) {
			t.Errorf("SecretEnvNames() lists %s, which is not a secret", n)
		}
	}
}

// With an S3 contents store the store's credential variables are secrets
// too; with the disk store they are the user's and kernels keep them.
func TestChildEnvS3Credentials(t *testing.T) {
	in := []string{
		"PATH=/usr/bin",
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_SESSION_TOKEN=session",
		"AWS_ACCESS_KEY=old-id",
		"AWS_SECRET_KEY=old-secret",
		"AWS_PROFILE=team",               // names no secret: kept
		"AWS_REGION=eu-west-1",           // kept
		"AWS_SHARED_CREDENTIALS_FILE=/c", // a path: kept
		"QUIRE_TOKEN=tok",
	}
	disk := &config.Config{}
	if diff := cmp.Diff(in[:len(in)-1], disk.ChildEnv(in)); diff != "" {
		t.Errorf("disk store: ChildEnv (-want +got):\n%s", diff)
	}
	s3 := &config.Config{ContentsStore: "s3://notebooks/team"}
	want := []string{"PATH=/usr/bin", "AWS_PROFILE=team", "AWS_REGION=eu-west-1", "AWS_SHARED_CREDENTIALS_FILE=/c"}
	if diff := cmp.Diff(want, s3.ChildEnv(in)); diff != "" {
		t.Errorf("S3 store: ChildEnv (-want +got):\n%s", diff)
	}
	if !slices.Contains(s3.SecretEnvNames(), "AWS_SECRET_ACCESS_KEY") || slices.Contains(disk.SecretEnvNames(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("SecretEnvNames: S3 %v, disk %v", s3.SecretEnvNames(), disk.SecretEnvNames())
	}
}
