package deployrecipe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const docs = "../../docs/deploy"

func TestBlockAndSubstitute(t *testing.T) {
	dir := t.TempDir()
	md := "Intro.\n\n<!-- tested: conf -->\n```nginx\nlisten 443 ssl;\nproxy_pass http://127.0.0.1:8888;\n```\n\n<!-- tested: open -->\n```sh\nquire\n"
	if err := os.WriteFile(filepath.Join(dir, "x.md"), []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Block(dir, "x.md", "conf")
	if err != nil || b != "listen 443 ssl;\nproxy_pass http://127.0.0.1:8888;\n" {
		t.Fatalf("Block = %q, %v", b, err)
	}
	if _, err := Block(dir, "x.md", "missing"); err == nil {
		t.Error("a missing marker was not an error")
	}
	if _, err := Block(dir, "x.md", "open"); err == nil || !strings.Contains(err.Error(), "does not end") {
		t.Errorf("an unterminated block: %v", err)
	}
	got, err := Substitute("x", b, "127.0.0.1:8888", "127.0.0.1:9", "443", "8443")
	if err != nil || got != "listen 8443 ssl;\nproxy_pass http://127.0.0.1:9;\n" {
		t.Errorf("Substitute = %q, %v", got, err)
	}
	if _, err := Substitute("x", b, "gone", "x"); err == nil {
		t.Error("a substitution whose old string is gone was not an error")
	}
}

// TestRecipes frames every proxy's real recipe, so a docs change that
// breaks a substitution fails here, without running the proxies.
func TestRecipes(t *testing.T) {
	r := &Run{Docs: docs, Dir: "/d", Port: "4443", QuirePort: "9999", Cert: "/d/c.pem", Key: "/d/k.pem", Combined: "/d/ck.pem", Htpasswd: "/d/h"}
	for name, f := range map[string]func() (string, error){
		"apache":  func() (string, error) { return Apache(r) },
		"nginx":   func() (string, error) { return Nginx(r, "127.0.0.1:8888", "127.0.0.1:"+r.QuirePort) },
		"caddy":   func() (string, error) { return Caddy(r) },
		"haproxy": func() (string, error) { return HAProxy(r) },
	} {
		conf, err := f()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(conf, "9999") || !strings.Contains(conf, "4443") || strings.Contains(conf, "8888") {
			t.Errorf("%s: ports not substituted:\n%s", name, conf)
		}
		args, err := QuireArgs(docs, name+".md", "quire", "--port 8888", "--port 0")
		if err != nil || !slices.Contains(args, "--base-url") {
			t.Errorf("%s quire command line: %q, %v", name, args, err)
		}
	}
}
