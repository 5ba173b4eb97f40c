package a2a

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

const (
	testClientID     = "agent-1"
	testClientSecret = "s3cret-agent-1"
)

// fakeAS is a hand-written OAuth token endpoint. For a token exchange it
// issues "xt.<subject>.<audience>.<n>" so that the destination can check
// which user and audience a token was minted for; for client credentials
// it issues "cc.<client>.<n>".
type fakeAS struct {
	srv   *httptest.Server
	calls atomic.Int64
	// gate, when non-nil, blocks every request until it is closed.
	gate chan struct{}
	// arrived receives a value each time a request reaches the handler.
	arrived chan struct{}

	mu       sync.Mutex
	requests []url.Values
	basic    []string // "id:secret" from Basic auth, "" when absent
	// respond overrides the answer when set.
	respond   func(w http.ResponseWriter, form url.Values)
	expiresIn int
}

func newFakeAS(t testing.TB) *fakeAS {
	t.Helper()
	as := &fakeAS{expiresIn: 300, arrived: make(chan struct{}, 1024)}
	as.srv = httptest.NewServer(http.HandlerFunc(as.handle))
	t.Cleanup(as.srv.Close)
	return as
}

func (as *fakeAS) url() string { return as.srv.URL + "/token" }

func (as *fakeAS) handle(w http.ResponseWriter, r *http.Request) {
	n := as.calls.Add(1)
	select {
	case as.arrived <- struct{}{}:
	default:
	}
	if as.gate != nil {
		<-as.gate
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	basic := ""
	if id, sec, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		sec, _ = url.QueryUnescape(sec)
		basic = id + ":" + sec
	}
	as.mu.Lock()
	as.requests = append(as.requests, form)
	as.basic = append(as.basic, basic)
	respond, exp := as.respond, as.expiresIn
	as.mu.Unlock()
	if respond != nil {
		respond(w, form)
		return
	}
	id, sec := form.Get("client_id"), form.Get("client_secret")
	if basic != "" {
		id, sec, _ = strings.Cut(basic, ":")
	}
	if id != testClientID || sec != testClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	resp := map[string]any{"token_type": "Bearer", "expires_in": exp}
	switch form.Get("grant_type") {
	case GrantTypeTokenExchange:
		aud := strings.Join(form["audience"], "+")
		resp["access_token"] = "xt." + form.Get("subject_token") + "." + aud + "." + itoa(n)
		resp["issued_token_type"] = TokenTypeAccessToken
	case "client_credentials":
		resp["access_token"] = "cc." + id + "." + itoa(n)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	if s := form.Get("scope"); s != "" {
		resp["scope"] = s
	}
	writeJSON(w, http.StatusOK, resp)
}

func (as *fakeAS) lastRequest(t testing.TB) (url.Values, string) {
	t.Helper()
	as.mu.Lock()
	defer as.mu.Unlock()
	require.NotEmpty(t, as.requests)
	return as.requests[len(as.requests)-1], as.basic[len(as.basic)-1]
}

func (as *fakeAS) setRespond(f func(w http.ResponseWriter, form url.Values)) {
	as.mu.Lock()
	as.respond = f
	as.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(status int, contentType, body string) func(http.ResponseWriter, url.Values) {
	return func(w http.ResponseWriter, _ url.Values) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newTestClient(t testing.TB, as *fakeAS, mutate ...func(*TokenClientConfig)) *TokenClient {
	t.Helper()
	cfg := TokenClientConfig{
		TokenURL:                  as.url(),
		ClientID:                  testClientID,
		ClientSecret:              testClientSecret,
		InsecureAllowLoopbackHTTP: true,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := NewTokenClient(cfg)
	require.NoError(t, err)
	return c
}

func newTestExchangeSource(t testing.TB, as *fakeAS, mutate ...func(*ExchangeSourceConfig)) *ExchangeSource {
	t.Helper()
	cfg := ExchangeSourceConfig{
		Actor:   StaticTokenSource(&Token{AccessToken: "agent-1-credential", TokenType: "Bearer"}),
		ActorID: "agent-1",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := NewExchangeSource(newTestClient(t, as), cfg)
	require.NoError(t, err)
	return s
}

// testTenant returns a tenant whose raw token is "user-<id>".
func testTenant(id, tier string) *tenantctx.Tenant {
	t := &tenantctx.Tenant{ID: id, Tier: tier, Subject: "user-of-" + id, ExpiresAt: time.Now().Add(time.Hour)}
	return t.WithToken("user-"+id, nil)
}

// countingBody counts reads and closes, like x/oauth2's readCloseCounter.
type countingBody struct {
	reads  atomic.Int64
	closes atomic.Int64
	r      io.Reader
}

func newCountingBody(s string) *countingBody { return &countingBody{r: strings.NewReader(s)} }

func (b *countingBody) Read(p []byte) (int, error) {
	b.reads.Add(1)
	return b.r.Read(p)
}

func (b *countingBody) Close() error {
	b.closes.Add(1)
	return nil
}

// recordingRT is a base transport that records the request it was given
// and answers with a fixed status, closing the body like a real transport.
type recordingRT struct {
	mu     sync.Mutex
	reqs   []*http.Request
	status int
}

func (rt *recordingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r)
	rt.mu.Unlock()
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

func (rt *recordingRT) last(t testing.TB) *http.Request {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	require.NotEmpty(t, rt.reqs)
	return rt.reqs[len(rt.reqs)-1]
}

// errSource is a TokenSource that always fails.
type errSource struct{ err error }

func (s errSource) Token(context.Context, TokenRequest) (*Token, error) {
	return nil, s.err
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
