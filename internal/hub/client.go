package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Client calls the Hub's REST API at JUPYTERHUB_API_URL.
type Client struct {
	api   string
	token string // the server's own API token, also the OAuth client secret
	http  *http.Client
}

// NewClient returns a client of the API at apiURL (no trailing slash)
// using the server's token.
func NewClient(apiURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	// Never follow a redirect with the token.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{api: strings.TrimRight(apiURL, "/"), token: token, http: &c}
}

// HTTPClient is the client for the Hub's API: with internal SSL it
// presents this server's certificate and trusts only the CA bundle of
// JUPYTERHUB_SSL_CLIENT_CA; otherwise nil (NewClient's default).
func (e Env) HTTPClient() (*http.Client, error) {
	if !e.InternalSSL() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(e.SSLCertFile, e.SSLKeyFile)
	if err != nil {
		return nil, fmt.Errorf("hub mode: JUPYTERHUB_SSL_CERTFILE/KEYFILE: %w", err)
	}
	pool, err := e.ClientCAs()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(e.APIURL)
	if err != nil {
		return nil, fmt.Errorf("hub mode: JUPYTERHUB_API_URL: %w", err)
	}
	host := u.Hostname()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// Go's own check would also demand the Hub's address among the
		// certificate's names, which JupyterHub 3.0's certificates
		// (certipy 0.1) do not carry; verifyHub checks the chain always
		// and the name whenever the certificate has any.
		InsecureSkipVerify: true,
		VerifyConnection:   func(cs tls.ConnectionState) error { return verifyHub(cs, pool, host) },
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}, nil
}

// verifyHub checks the Hub's certificate chain against the internal-SSL
// CA bundle, and host (the API URL's) when the certificate names hosts.
func verifyHub(cs tls.ConnectionState, pool *x509.CertPool, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("internal SSL: the Hub presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	opts := x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 {
		opts.DNSName = host
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("internal SSL: the Hub's certificate: %w", err)
	}
	return nil
}

// ClientCAs reads JUPYTERHUB_SSL_CLIENT_CA: the CAs whose certificates
// this server accepts from its clients (the proxy, the Hub) and from the
// Hub's API.
func (e Env) ClientCAs() (*x509.CertPool, error) {
	b, err := os.ReadFile(e.SSLClientCA)
	if err != nil {
		return nil, fmt.Errorf("hub mode: JUPYTERHUB_SSL_CLIENT_CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("hub mode: JUPYTERHUB_SSL_CLIENT_CA %s holds no PEM certificate", e.SSLClientCA)
	}
	return pool, nil
}

// ErrHub says the Hub could not be asked or answered with an error: not a
// verdict on the credentials.
var ErrHub = errors.New("the Hub did not answer")

// User is the Hub's model of a token's owner (GET /user), reduced to what
// Quire uses.
type User struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Admin     bool     `json:"admin"`
	Scopes    []string `json:"scopes"`
	SessionID *string  `json:"session_id"`
}

// Version asks the Hub for its version: GET {api}; the
// X-JupyterHub-Version header, else the body's "version".
func (c *Client) Version(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api, nil)
	if err != nil {
		return "", fmt.Errorf("hub version: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("hub version: %w: %w", ErrHub, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("hub version: %w: status %d", ErrHub, resp.StatusCode)
	}
	var body struct {
		Version string `json:"version"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	v := resp.Header.Get("X-JupyterHub-Version")
	if v == "" {
		v = body.Version
	}
	return v, nil
}

// Exchange trades an authorization code (with its PKCE verifier) for an
// access token: POST {api}/oauth2/token.
func (c *Client) Exchange(ctx context.Context, clientID, code, redirectURI, verifier string) (token string, expires time.Duration, err error) {
	form := url.Values{
		"client_id":     {clientID},
		"client_secret": {c.token},
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth token exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("oauth token exchange: %w: %w", ErrHub, err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", 0, fmt.Errorf("oauth token exchange: status %d: %s %s", resp.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, time.Duration(body.ExpiresIn) * time.Second, nil
}

// Identify asks the Hub who holds token: GET {api}/user authenticated by
// that token. A token the Hub refuses (403, 401) gives (nil, nil); any
// other failure an error wrapping ErrHub.
func (c *Client) Identify(ctx context.Context, token string) (*User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+"/user", nil)
	if err != nil {
		return nil, fmt.Errorf("identify token: %w", err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("identify token: %w: %w", ErrHub, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusUnauthorized:
		return nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("identify token: %w: status %d", ErrHub, resp.StatusCode)
	}
	var u User
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&u); err != nil || u.Name == "" {
		return nil, fmt.Errorf("identify token: %w: unreadable user model", ErrHub)
	}
	return &u, nil
}

// Activity reports last activity of the server named server:
// POST activityURL with the server's token.
func (c *Client) Activity(ctx context.Context, activityURL, server string, t time.Time) error {
	ts := t.UTC().Format("2006-01-02T15:04:05.000000Z")
	body, _ := json.Marshal(map[string]any{
		"servers":       map[string]any{server: map[string]string{"last_activity": ts}},
		"last_activity": ts,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, activityURL, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("report activity: %w", err)
	}
	req.Header.Set("Authorization", "token "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("report activity: %w: %w", ErrHub, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("report activity: status %d", resp.StatusCode)
	}
	return nil
}
