//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"quire/internal/deployrecipe"
	"quire/internal/kernel/wire"
	"quire/internal/testca"
	"quire/internal/wsbridge"
	"quire/tests/internal/harness"
)

// The recipes in docs/deploy are tested as written: each proxy's
// configuration, and Quire's command line, are the fenced blocks after a
// "<!-- tested: NAME -->" comment, and the test replaces only ports, file
// paths and certificate files in them (recipeBlock, substitute). The public
// name stays notebooks.example.org: the test's client resolves it to the
// proxy's loopback port and trusts the test's certificate for it.

const (
	publicName = deployrecipe.PublicName
	// clientAddr is where the test's browser connects from: a loopback
	// address of its own, so the address Quire reports for the client
	// (from the proxy's X-Forwarded-For) can be told from the proxy's
	// (127.0.0.1, the one --trusted-proxy).
	clientAddr = "127.0.0.2"
	// proxyPassword is Quire's own login for the recipes that use it.
	proxyPassword = "correct horse battery staple"
	// uploadSize is the file uploaded in 1 MiB chunks through each proxy.
	uploadSize = 50 << 20
)

// proxyRecipe is one tested document and how to run its proxy.
type proxyRecipe struct {
	name       string // the proxy's block name (and the subtest's)
	doc        string // the recipe's file in docs/deploy
	quire      string // the block with Quire's command line
	bin        string // the proxy's executable
	userHeader bool   // the recipe signs users in with the proxy's login (basic auth)
	publicURL  bool   // Quire's command line has --public-url https://notebooks.example.org/…
	unix       bool   // Quire listens on --sock /run/quire/quire.sock; the proxy runs as Quire's user
	// config returns the proxy's configuration file text: the test's own
	// frame around the recipe's (substituted) block.
	config func(t *testing.T, p *proxyRun) string
	// args are the proxy's arguments to run config (in file) in the
	// foreground.
	args func(p *proxyRun, file string) []string
}

// proxyRun is one proxy being started: its files and ports.
type proxyRun = deployrecipe.Run

// deployDocs is docs/deploy, from this package's directory.
var deployDocs = filepath.Join("..", "..", "docs", "deploy")

// must(t)(s, err) is s, or fails t on a recipe error.
func must(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

var proxyRecipes = []proxyRecipe{
	{
		name: "apache", doc: "apache.md", quire: "quire", bin: "/usr/sbin/apache2", userHeader: true,
		config: func(t *testing.T, p *proxyRun) string { return must(t)(deployrecipe.Apache(p)) },
		args:   deployrecipe.ApacheArgs,
	},
	// The documented variant for a front end whose headers cannot be
	// changed: no X-Forwarded-Proto, --public-url instead.
	{
		name: "apache-public-url", doc: "apache.md", quire: "quire-public-url", bin: "/usr/sbin/apache2", userHeader: true, publicURL: true,
		config: func(t *testing.T, p *proxyRun) string {
			return must(t)(deployrecipe.Apache(p, `    RequestHeader set X-Forwarded-Proto "https"`+"\n", ""))
		},
		args: deployrecipe.ApacheArgs,
	},
	{
		name: "nginx", doc: "nginx.md", quire: "quire", bin: "/usr/sbin/nginx",
		config: func(t *testing.T, p *proxyRun) string {
			return must(t)(deployrecipe.Nginx(p, "127.0.0.1:8888", "127.0.0.1:"+p.QuirePort))
		},
		args: deployrecipe.NginxArgs,
	},
	// The documented variant with RFC 7239 Forwarded instead of
	// X-Forwarded-*.
	{
		name: "nginx-forwarded", doc: "nginx.md", quire: "quire", bin: "/usr/sbin/nginx",
		config: func(t *testing.T, p *proxyRun) string {
			return must(t)(deployrecipe.Nginx(p, "127.0.0.1:8888", "127.0.0.1:"+p.QuirePort,
				"        proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;\n"+
					"        proxy_set_header X-Forwarded-Proto $scheme;\n"+
					"        proxy_set_header X-Forwarded-Host  $http_host;\n",
				recipeBlock(t, "nginx.md", "nginx-forwarded")))
		},
		args: deployrecipe.NginxArgs,
	},
	// The documented variant on a Unix socket: nginx runs as Quire's
	// user, as it must to connect.
	{
		name: "nginx-unix", doc: "nginx.md", quire: "quire-unix", bin: "/usr/sbin/nginx", unix: true,
		config: func(t *testing.T, p *proxyRun) string {
			line := strings.TrimSpace(recipeBlock(t, "nginx.md", "nginx-unix"))
			return must(t)(deployrecipe.Nginx(p, "proxy_pass http://127.0.0.1:8888;", strings.ReplaceAll(line, "/run/quire/quire.sock", p.Sock)))
		},
		args: deployrecipe.NginxArgs,
	},
	{
		name: "caddy", doc: "caddy.md", quire: "quire", bin: "/usr/bin/caddy",
		config: func(t *testing.T, p *proxyRun) string { return must(t)(deployrecipe.Caddy(p)) },
		args:   deployrecipe.CaddyArgs,
	},
	{
		name: "haproxy", doc: "haproxy.md", quire: "quire", bin: "/usr/sbin/haproxy",
		config: func(t *testing.T, p *proxyRun) string { return must(t)(deployrecipe.HAProxy(p)) },
		args:   deployrecipe.HAProxyArgs,
	},
}

// TestProxy runs each recipe of docs/deploy: the real proxy from Debian in
// front of the real binary, TLS at the proxy with the test's certificate.
// Through each proxy it logs in (Quire's login form, or Apache's basic auth
// and the user header), opens the UI page, runs a cell over the kernel
// WebSocket, types into a terminal over its WebSocket, uploads a 50 MB file in 1 MiB chunks as JupyterLab does, and
// sees /api/me name the user and Quire's access log the client's own
// address. Straight to Quire, a forged X-Forwarded-For and a forged user
// header are not believed. The four run in parallel.
func TestProxy(t *testing.T) {
	needIPyKernel(t)
	ca := testca.NewT(t, "Quire proxy test CA")
	for _, rc := range proxyRecipes {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(rc.bin); err != nil {
				t.Skipf("%s not installed (make deps-apt installs it): %v", rc.bin, err)
			}
			testRecipe(t, rc, ca)
		})
	}
}

func testRecipe(t *testing.T, rc proxyRecipe, ca *testca.CA) {
	// Quire, as the recipe starts it.
	port := freePort(t)
	public := "https://" + publicName + ":" + port + "/jupyter/"
	subst := []string{"--port 8888", "--port 0"} // the harness reads the port Quire picks
	if rc.unix {
		subst = nil
	}
	if rc.publicURL {
		subst = []string{"https://" + publicName + "/jupyter/", public}
	}
	home, sock := t.TempDir(), ""
	if rc.unix {
		sock = filepath.Join(home, "quire.sock")
		subst = append(subst, "/run/quire/quire.sock", sock)
	}
	args := quireArgs(t, rc.doc, rc.quire, subst...)
	in := startQuire(t, opts{home: home, args: args, env: []string{"QUIRE_PASSWORD=" + proxyPassword}})
	if rc.publicURL {
		// The banner may reach stdout just after the runtime file that
		// startQuire waits for.
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(in.Stdout.String(), public) && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(in.Stdout.String(), public) {
			t.Errorf("the start banner does not name --public-url %s:\n%s", public, in.Stdout)
		}
	}

	// The proxy, on a port of its own, as unprivileged as this machine
	// allows.
	p := &proxyRun{Docs: deployDocs, Dir: proxyDir(t), Port: port, QuirePort: fmt.Sprint(in.Port), Sock: sock, SameUser: rc.unix}
	f := ca.IssueT(t, testca.Leaf{Names: []string{publicName}}).WriteT(t, p.Dir, "cert")
	p.Cert, p.Key, p.Combined = f.Cert, f.Key, f.Combined
	if rc.userHeader {
		p.Htpasswd = filepath.Join(p.Dir, "htpasswd")
		writeHtpasswd(t, p.Htpasswd, map[string]string{"alice": "alice-pw", "carol": "carol-pw"})
	}
	conf := filepath.Join(p.Dir, rc.name+".conf")
	writeFile(t, conf, rc.config(t, p))
	startProxy(t, rc, p, conf)

	b := newBrowser(t, ca, p.Port)
	if rc.userHeader {
		b.basic = "alice:alice-pw"
	}
	b.waitUp(t)

	// Log in.
	var wantUser string
	if rc.userHeader {
		// Apache's login is the only one: without it, Apache says 401;
		// with it, Quire knows the user; a user Apache knows but Quire's
		// --allowed-users does not is told so.
		anon := newBrowser(t, ca, p.Port)
		if st, _, _ := anon.do(t, "GET", "api/me", nil, nil); st != http.StatusUnauthorized {
			t.Errorf("GET api/me without Apache's login: %d, want 401", st)
		}
		carol := newBrowser(t, ca, p.Port)
		carol.basic = "carol:carol-pw"
		st, body, _ := carol.do(t, "GET", "api/me", nil, nil)
		if st != http.StatusForbidden || !strings.Contains(messageOf(body), `User "carol" may not use this server`) {
			t.Errorf("carol (not in --allowed-users): %d %s, want 403 saying so", st, body)
		}
		wantUser = "alice"
	} else {
		b.login(t)
	}

	// The UI page, which also sets the _xsrf cookie.
	st, body, h := b.do(t, "GET", "tree", nil, map[string]string{"Accept": "text/html", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
	if st != 200 || !strings.Contains(h.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("<html")) {
		t.Fatalf("GET tree through %s: %d %s %.200s", rc.name, st, h.Get("Content-Type"), body)
	}
	if b.xsrf() == "" {
		t.Fatal("no _xsrf cookie after the UI page")
	}
	// Its script loads through the proxy too.
	if m := regexp.MustCompile(`src="/jupyter/(static/app/[^"]+\.js)"`).FindSubmatch(body); m == nil {
		t.Errorf("the UI page names no script under /jupyter/static/app/: %.500s", body)
	} else if st, js, h := b.do(t, "GET", string(m[1]), nil, nil); st != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") || len(js) == 0 {
		t.Errorf("GET %s through %s: %d %s, %d bytes", m[1], rc.name, st, h.Get("Content-Type"), len(js))
	}

	// /api/me names the user; the access log names the client.
	me := b.me(t)
	if wantUser != "" && me != wantUser {
		t.Errorf("api/me username = %q, want %q", me, wantUser)
	}
	if me == "" {
		t.Error("api/me names no user")
	}
	probe := "api/contents/probe-" + rc.name + "-" + randomHex(4)
	b.do(t, "GET", probe, nil, map[string]string{"X-Forwarded-For": "203.0.113.66"}) // a client's lie, appended to
	if ip := loggedIP(t, in, probe); ip != clientAddr {
		t.Errorf("Quire logged the client behind %s as %q, want %s", rc.name, ip, clientAddr)
	}

	if rc.userHeader {
		// The browser repeats Apache's Basic login on cross-site requests
		// too: another site's POST is refused, with or without a made-up
		// token (and its kernel WebSocket, below).
		for _, path := range []string{"api/contents", "api/contents?token=made-up"} {
			st, body, _ := b.do(t, "POST", path, jsonBody(t, map[string]any{"type": "notebook"}),
				map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"})
			if st != http.StatusForbidden {
				t.Errorf("cross-site POST %s with Apache's login: %d %s, want 403", path, st, body)
			}
		}
	}

	// A cell over the kernel WebSocket.
	st, body, _ = b.do(t, "POST", "api/kernels", jsonBody(t, map[string]any{"name": "python3"}), map[string]string{"Content-Type": "application/json"})
	if st != 201 {
		t.Fatalf("POST api/kernels through %s: %d %s", rc.name, st, body)
	}
	var k kernelModel
	decode(t, "POST api/kernels", body, &k)
	t.Cleanup(func() { b.do(t, "DELETE", "api/kernels/"+k.ID, nil, nil) })
	if rc.userHeader {
		h := http.Header{}
		b.header(h, "GET")
		h.Set("Origin", "https://evil.example")
		c := *b.c
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, resp, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(b.base, "https")+"api/kernels/"+k.ID+"/channels", &websocket.DialOptions{HTTPClient: &c, HTTPHeader: h})
		cancel()
		if err == nil {
			conn.CloseNow()
			t.Error("a cross-site kernel WebSocket with Apache's login was accepted")
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site kernel WebSocket: %v, want 403", err)
		}
	}
	w := b.dialKernel(t, k.ID)
	if r := w.execute("print(6 * 7)", 90*time.Second); r.Stdout != "42\n" {
		t.Errorf("cell through %s printed %q, want 42", rc.name, r.Stdout)
	}
	w.close()

	// A terminal: created over REST, its WebSocket through the proxy.
	st, body, _ = b.do(t, "POST", "api/terminals", nil, nil)
	var term termModel
	if st != 200 || json.Unmarshal(body, &term) != nil || term.Name == "" {
		t.Fatalf("POST api/terminals through %s: %d %s", rc.name, st, body)
	}
	t.Cleanup(func() { b.do(t, "DELETE", "api/terminals/"+term.Name, nil, nil) })
	tw := b.dialTerminal(t, term.Name)
	tw.send("stdin", "echo proxied-$((6*7))\r")
	tw.until(`proxied-42`)
	tw.close()

	// 50 MB in chunks, as JupyterLab uploads.
	b.upload(t, in, "big.bin")

	// Straight to Quire, from the client's address: its forged
	// forwarding and user headers are not believed. (On a socket every
	// peer is the proxy, by --trusted-proxy unix.)
	if rc.unix {
		return
	}
	direct := harnessClient(clientAddr)
	forged := "api/contents/forged-" + randomHex(4)
	r := in.req("GET", forged, nil)
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	r.Header.Set("Forwarded", "for=203.0.113.8;proto=https")
	r.Header.Set("X-Remote-User", "alice")
	if st, _, _ := send(t, direct, r); st != http.StatusForbidden {
		t.Errorf("direct request with a forged X-Remote-User: %d, want 403", st)
	}
	if ip := loggedIP(t, in, forged); ip != clientAddr {
		t.Errorf("a direct request forging X-Forwarded-For was logged as %q, want %s", ip, clientAddr)
	}
	if rc.userHeader && !strings.Contains(in.Stderr.String(), "ignored the trusted user header") {
		t.Error("the forged user header was not logged")
	}
}

// --- the recipes -------------------------------------------------------------

// recipeBlock returns the fenced block after "<!-- tested: name -->" in
// docs/deploy/file.
func recipeBlock(t *testing.T, file, name string) string {
	t.Helper()
	return must(t)(deployrecipe.Block(deployDocs, file, name))
}

// substitute replaces each old with its new in block, and fails if an old
// string is gone: the recipe changed and the test must follow.
func substitute(t *testing.T, what, block string, pairs ...string) string {
	t.Helper()
	return must(t)(deployrecipe.Substitute(what, block, pairs...))
}

// quireArgs are the options of the quire command line in block name of
// file, with the substitutions made.
func quireArgs(t *testing.T, file, name string, pairs ...string) []string {
	t.Helper()
	args, err := deployrecipe.QuireArgs(deployDocs, file, name, pairs...)
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// --- the proxy process ------------------------------------------------------

// proxyDir makes the proxy's directory. When the test runs as root, the
// proxy runs as nobody, and the directory is handed to nobody.
func proxyDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "quire-proxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

const nobody = 65534

func startProxy(t *testing.T, rc proxyRecipe, p *proxyRun, conf string) {
	t.Helper()
	for _, sub := range deployrecipe.Dirs {
		if err := os.MkdirAll(filepath.Join(p.Dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(rc.bin, rc.args(p, conf)...)
	cmd.Dir = p.Dir
	home := filepath.Join(p.Dir, "home")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CONFIG_HOME=" + home, "TMPDIR=" + home}
	out := &harness.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 && !p.SameUser {
		err := filepath.WalkDir(p.Dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		})
		if err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	proc := harness.Start(t, rc.name, cmd)
	t.Cleanup(func() {
		_ = proc.Stop()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // workers, if any outlived their parent
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(p.Dir, "error.log"))
			t.Logf("%s output:\n%s\n%s error.log:\n%s\nconfig:\n%s", rc.name, out, rc.name, logs, readOr(conf))
		}
	})
	// Ready when it answers TLS on its port.
	proc.WaitReady(t, 20*time.Second, 50*time.Millisecond, func() string { return out.String() }, func() (bool, string) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+p.Port, time.Second)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
}

func readOr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// writeHtpasswd writes Apache users with {SHA} hashes (which Apache reads;
// the test needs no htpasswd binary).
func writeHtpasswd(t *testing.T, path string, users map[string]string) {
	t.Helper()
	var b strings.Builder
	for u, pw := range users {
		sum := sha1Sum(pw)
		fmt.Fprintf(&b, "%s:{SHA}%s\n", u, base64.StdEncoding.EncodeToString(sum))
	}
	writeFile(t, path, b.String())
}

// --- the browser --------------------------------------------------------------

// browser talks to the proxy as a browser at clientAddr would: HTTPS to
// notebooks.example.org, cookies kept, Origin on every request that is
// not a GET, X-XSRFToken from the _xsrf cookie.
type browser struct {
	c      *http.Client
	public string // https://notebooks.example.org:PORT
	base   string // public + "/jupyter/"
	basic  string // "user:password" for the proxy's basic auth, or ""
}

func newBrowser(t *testing.T, ca *testca.CA, port string) *browser {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientAddr)}, Timeout: 5 * time.Second}
	jar, _ := cookiejar.New(nil)
	public := "https://" + publicName + ":" + port
	return &browser{
		c: &http.Client{
			Jar: jar,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return d.DialContext(ctx, network, "127.0.0.1:"+port)
				},
				TLSClientConfig: &tls.Config{RootCAs: ca.Pool, ServerName: publicName},
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		public: public,
		base:   public + "/jupyter/",
	}
}

// harnessClient is a plain HTTP client that connects from addr.
func harnessClient(addr string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

func (b *browser) xsrf() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "_xsrf" {
			return c.Value
		}
	}
	return ""
}

func (b *browser) header(h http.Header, method string) {
	if b.basic != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(b.basic)))
	}
	if method != "GET" && method != "HEAD" {
		h.Set("Origin", b.public)
		if x := b.xsrf(); x != "" {
			h.Set("X-XSRFToken", x)
		}
	}
}

// do sends a request to path under /jupyter/ and returns status, body and
// headers.
func (b *browser) do(t *testing.T, method, path string, body io.Reader, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	b.header(r.Header, method)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := b.c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// waitUp waits until the proxy passes requests on to Quire.
func (b *browser) waitUp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, _ := http.NewRequest("GET", b.base+"api", nil)
		b.header(r.Header, "GET")
		resp, err := b.c.Do(r)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && bytes.Contains(data, []byte(`"version"`)) {
				return
			}
			err = fmt.Errorf("status %d: %.200s", resp.StatusCode, data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy does not reach Quire: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login logs in on Quire's login page through the proxy, as a browser
// does: GET the form (setting _xsrf), POST it with the Origin.
func (b *browser) login(t *testing.T) {
	t.Helper()
	if st, _, _ := b.do(t, "GET", "login", nil, nil); st != 200 || b.xsrf() == "" {
		t.Fatalf("GET login: %d, _xsrf %q", st, b.xsrf())
	}
	form := url.Values{"password": {proxyPassword}, "_xsrf": {b.xsrf()}}
	st, body, h := b.do(t, "POST", "login?next=%2Fjupyter%2Ftree", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if st != http.StatusFound || h.Get("Location") != "/jupyter/tree" {
		t.Fatalf("POST login: %d Location %q %.300s", st, h.Get("Location"), body)
	}
	for _, c := range b.c.Jar.Cookies(mustURL(t, b.base)) {
		if strings.HasPrefix(c.Name, "username-") {
			return
		}
	}
	t.Fatal("no login cookie after logging in")
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// me returns /api/me's username.
func (b *browser) me(t *testing.T) string {
	t.Helper()
	st, body, _ := b.do(t, "GET", "api/me", nil, nil)
	if st != 200 {
		t.Fatalf("GET api/me: %d %s", st, body)
	}
	var m struct {
		Identity struct {
			Username string `json:"username"`
		} `json:"identity"`
	}
	decode(t, "api/me", body, &m)
	return m.Identity.Username
}

// dialKernel opens the kernel's channels WebSocket through the proxy, with
// the browser's cookies, credentials and Origin.
func (b *browser) dialKernel(t *testing.T, id string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	session := wire.NewID()
	h := http.Header{}
	b.header(h, "GET")
	h.Set("Origin", b.public)
	c := *b.c // no client timeout: the socket outlives one request
	u := "wss" + strings.TrimPrefix(b.base, "https") + "api/kernels/" + id + "/channels?session_id=" + session
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: &c, HTTPHeader: h, Subprotocols: []string{wsbridge.Subprotocol}})
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", u, err, code)
	}
	conn.SetReadLimit(64 << 20)
	w := &wsClient{t: t, c: conn, Resp: resp, V1: conn.Subprotocol() == wsbridge.Subprotocol, Session: session,
		msgs: make(chan kmsg, 10000), done: make(chan struct{})}
	go w.read()
	t.Cleanup(w.close)
	return w
}

// dialTerminal opens terminal name's WebSocket through the proxy, with
// the browser's cookies, credentials and Origin.
func (b *browser) dialTerminal(t *testing.T, name string) *termWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := http.Header{}
	b.header(h, "GET")
	h.Set("Origin", b.public)
	c := *b.c
	u := "wss" + strings.TrimPrefix(b.base, "https") + "terminals/websocket/" + name
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: &c, HTTPHeader: h})
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", u, err, code)
	}
	w := &termWS{t: t, c: conn, done: make(chan struct{})}
	go w.read()
	t.Cleanup(w.close)
	return w
}

// upload sends uploadSize random bytes as name in 1 MiB base64 chunks
// (chunk 1, 2, …, -1 for the last), as JupyterLab's file browser does, and
// checks the file Quire wrote.
func (b *browser) upload(t *testing.T, in *instance, name string) {
	t.Helper()
	data := make([]byte, uploadSize)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	const chunk = 1 << 20
	for off, n := 0, 1; off < len(data); off, n = off+chunk, n+1 {
		end := min(off+chunk, len(data))
		num := n
		if end == len(data) {
			num = -1
		}
		body, _ := json.Marshal(map[string]any{"name": name, "path": name, "type": "file", "format": "base64",
			"chunk": num, "content": base64.StdEncoding.EncodeToString(data[off:end])})
		st, resp, _ := b.do(t, "PUT", "api/contents/"+name, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
		if st != 200 && st != 201 {
			t.Fatalf("upload chunk %d: %d %.300s", num, st, resp)
		}
	}
	got, err := os.ReadFile(filepath.Join(in.Root, name))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("uploaded %s: %d bytes on disk, not the %d sent", name, len(got), len(data))
	}
}

// loggedIP returns the ip= of Quire's access log line for path, waiting
// for it a little (the line is written once the response is done).
func loggedIP(t *testing.T, in *instance, path string) string {
	t.Helper()
	re := regexp.MustCompile(`msg=request method=GET path=\S*` + regexp.QuoteMeta(path) + ` .*? ip=(\S+)`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m := re.FindStringSubmatch(in.Stderr.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access log line for %s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sha1Sum(s string) []byte {
	h := sha1.New()
	h.Write([]byte(s))
	return h.Sum(nil)
}
