// Package deployrecipe reads the tested recipes of docs/deploy: the fenced
// block after each "<!-- tested: NAME -->" comment, with only ports, file
// paths and certificate files replaced, and the configuration frame that
// runs each Debian proxy (apache2, nginx, caddy, haproxy) on loopback,
// unprivileged, in the foreground. The integration test (TestProxy) and
// the benchmark (go run ./bench -scenarios proxies) both run the recipes
// through it, so what is measured is what is tested.
package deployrecipe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PublicName is the recipes' server name; clients resolve it to the
// proxy's loopback port and trust a certificate issued for it.
const PublicName = "notebooks.example.org"

// Block returns the fenced block after "<!-- tested: name -->" in
// dir/file (dir is docs/deploy).
func Block(dir, file, name string) (string, error) {
	path := filepath.Join(dir, file)
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	marker := "<!-- tested: " + name + " -->\n"
	i := strings.Index(string(data), marker)
	if i < 0 {
		return "", fmt.Errorf("%s has no %q", path, strings.TrimSpace(marker))
	}
	rest := string(data[i+len(marker):])
	if !strings.HasPrefix(rest, "```") {
		return "", fmt.Errorf("%s: %q is not followed by a fenced block", path, strings.TrimSpace(marker))
	}
	rest = rest[strings.IndexByte(rest, '\n')+1:]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		return "", fmt.Errorf("%s: the block after %q does not end", path, strings.TrimSpace(marker))
	}
	return rest[:end+1], nil
}

// Substitute replaces each old with its new in block (pairs: old, new,
// old, new…), and fails if an old string is gone: the recipe changed and
// its users must follow.
func Substitute(what, block string, pairs ...string) (string, error) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(block, pairs[i]) {
			return "", fmt.Errorf("the %s recipe no longer contains %q; update the substitutions in internal/deployrecipe or TestProxy", what, pairs[i])
		}
		block = strings.ReplaceAll(block, pairs[i], pairs[i+1])
	}
	return block, nil
}

// QuireArgs are the options of the quire command line in block name of
// dir/file, with the substitutions made.
func QuireArgs(dir, file, name string, pairs ...string) ([]string, error) {
	block, err := Block(dir, file, name)
	if err != nil {
		return nil, err
	}
	cmd, err := Substitute(file, block, pairs...)
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(strings.ReplaceAll(cmd, "\\\n", " "))
	if len(fields) == 0 || fields[0] != "quire" {
		return nil, fmt.Errorf("%s: the quire block does not start with quire: %q", file, cmd)
	}
	return fields[1:], nil
}

// Run is one proxy being started: its files and ports.
type Run struct {
	Docs      string // docs/deploy
	Dir       string // the proxy's own directory (config, pid, logs, temp)
	Port      string // where it listens, on 127.0.0.1
	QuirePort string
	Cert, Key string // PEM files for PublicName
	Combined  string // certificate then key, one file (HAProxy)
	Htpasswd  string // Apache's users
	Sock      string // Quire's socket, for the unix variants
	SameUser  bool   // run as the caller's user (root included), not nobody
}

// Bins are the Debian executables of the proxies, by recipe.
var Bins = map[string]string{
	"apache":  "/usr/sbin/apache2",
	"nginx":   "/usr/sbin/nginx",
	"caddy":   "/usr/bin/caddy",
	"haproxy": "/usr/sbin/haproxy",
}

// Nginx frames the nginx recipe's block, its backend address replaced by
// to; extra are further substitutions (a documented variant).
func Nginx(p *Run, from, to string, extra ...string) (string, error) {
	b, err := Block(p.Docs, "nginx.md", "nginx")
	if err != nil {
		return "", err
	}
	block, err := Substitute("nginx", b, append([]string{
		"listen 443 ssl;", "listen 127.0.0.1:" + p.Port + " ssl;",
		from, to,
		"/etc/ssl/certs/notebooks.example.org.pem", p.Cert,
		"/etc/ssl/private/notebooks.example.org.key", p.Key}, extra...)...)
	if err != nil {
		return "", err
	}
	user := ""
	if p.SameUser && os.Geteuid() == 0 {
		user = "user root;" // workers would otherwise run as nobody
	}
	return fmt.Sprintf(`daemon off;
%[3]s
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, p.Dir, block, user), nil
}

// NginxArgs run file in the foreground.
func NginxArgs(p *Run, file string) []string {
	return []string{"-c", file, "-p", p.Dir, "-e", filepath.Join(p.Dir, "error.log")}
}

// Apache frames the Apache recipe's block; extra are further
// substitutions (a documented variant).
func Apache(p *Run, extra ...string) (string, error) {
	b, err := Block(p.Docs, "apache.md", "apache")
	if err != nil {
		return "", err
	}
	block, err := Substitute("apache", b, append([]string{
		"<VirtualHost *:443>", "<VirtualHost 127.0.0.1:" + p.Port + ">",
		"127.0.0.1:8888", "127.0.0.1:" + p.QuirePort,
		"/etc/ssl/certs/notebooks.example.org.pem", p.Cert,
		"/etc/ssl/private/notebooks.example.org.key", p.Key,
		"/etc/apache2/quire.htpasswd", p.Htpasswd}, extra...)...)
	if err != nil {
		return "", err
	}
	var mods strings.Builder
	for _, m := range []string{"mpm_event", "authz_core", "authz_user", "authn_core", "authn_file", "auth_basic",
		"headers", "proxy", "proxy_http", "proxy_wstunnel", "socache_shmcb", "ssl"} {
		fmt.Fprintf(&mods, "LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n", m, m)
	}
	return fmt.Sprintf(`ServerRoot %[1]s
DefaultRuntimeDir %[1]s
PidFile %[1]s/apache.pid
ErrorLog %[1]s/error.log
LogLevel warn
ServerName localhost
Listen 127.0.0.1:%[2]s
%[3]s
%[4]s
`, p.Dir, p.Port, mods.String(), block), nil
}

// ApacheArgs run file in the foreground.
func ApacheArgs(p *Run, file string) []string { return []string{"-f", file, "-DFOREGROUND"} }

// Caddy frames the Caddy recipe's block.
func Caddy(p *Run) (string, error) {
	b, err := Block(p.Docs, "caddy.md", "caddy")
	if err != nil {
		return "", err
	}
	block, err := Substitute("caddy", b,
		"notebooks.example.org {", "notebooks.example.org:"+p.Port+" {",
		"127.0.0.1:8888", "127.0.0.1:"+p.QuirePort,
		"/etc/ssl/certs/notebooks.example.org.pem", p.Cert,
		"/etc/ssl/private/notebooks.example.org.key", p.Key)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`{
	admin off
	auto_https disable_redirects
	default_bind 127.0.0.1
	skip_install_trust
	storage file_system %[1]s/data
}

%[2]s
`, p.Dir, block), nil
}

// CaddyArgs run file in the foreground.
func CaddyArgs(p *Run, file string) []string {
	return []string{"run", "--config", file, "--adapter", "caddyfile"}
}

// HAProxy frames the HAProxy recipe's block.
func HAProxy(p *Run) (string, error) {
	b, err := Block(p.Docs, "haproxy.md", "haproxy")
	if err != nil {
		return "", err
	}
	block, err := Substitute("haproxy", b,
		"bind :443 ssl", "bind 127.0.0.1:"+p.Port+" ssl",
		"127.0.0.1:8888", "127.0.0.1:"+p.QuirePort,
		"/etc/haproxy/certs/notebooks.example.org.pem", p.Combined)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`global
    log stderr format short local0 warning
    pidfile %[1]s/haproxy.pid

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

%[2]s
`, p.Dir, block), nil
}

// HAProxyArgs run file in the foreground.
func HAProxyArgs(p *Run, file string) []string { return []string{"-db", "-f", file} }

// Dirs are the subdirectories of Run.Dir the frames name; the caller
// makes them before the proxy starts.
var Dirs = []string{"body", "proxy", "fastcgi", "uwsgi", "scgi", "data", "home"}
