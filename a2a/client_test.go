package a2a

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExchangeRequestShape(t *testing.T) {
	t.Parallel()
	for _, style := range []AuthStyle{AuthStyleBasic, AuthStylePost} {
		t.Run(map[AuthStyle]string{AuthStyleBasic: "basic", AuthStylePost: "post"}[style], func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			c := newTestClient(t, as, func(cfg *TokenClientConfig) {
				cfg.AuthStyle = style
				cfg.Now = func() time.Time { return now }
			})
			tok, err := c.Exchange(context.Background(), ExchangeRequest{
				SubjectToken:       "user-t1",
				SubjectTokenType:   TokenTypeJWT,
				ActorToken:         "actor-tok",
				Audience:           []string{"agent-2", "agent-2b"},
				Resource:           []string{"https://agent2.internal/api", "https://agent2.internal/v2"},
				Scope:              []string{"a", "b:c"},
				RequestedTokenType: TokenTypeAccessToken,
			})
			require.NoError(t, err)
			assert.Equal(t, "xt.user-t1.agent-2+agent-2b.1", tok.AccessToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, TokenTypeAccessToken, tok.IssuedTokenType)
			assert.Equal(t, now.Add(300*time.Second), tok.Expiry)
			assert.Equal(t, []string{"a", "b:c"}, tok.Scope)

			form, basic := as.lastRequest(t)
			want := url.Values{
				"grant_type":           {GrantTypeTokenExchange},
				"subject_token":        {"user-t1"},
				"subject_token_type":   {TokenTypeJWT},
				"actor_token":          {"actor-tok"},
				"actor_token_type":     {TokenTypeAccessToken},
				"audience":             {"agent-2", "agent-2b"},
				"resource":             {"https://agent2.internal/api", "https://agent2.internal/v2"},
				"scope":                {"a b:c"},
				"requested_token_type": {TokenTypeAccessToken},
			}
			if style == AuthStylePost {
				want["client_id"] = []string{testClientID}
				want["client_secret"] = []string{testClientSecret}
				assert.Empty(t, basic)
			} else {
				assert.Equal(t, testClientID+":"+testClientSecret, basic)
			}
			assert.Equal(t, want, form)
		})
	}
}

func TestExchangeMinimalRequest(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	_, err := newTestClient(t, as).Exchange(context.Background(), ExchangeRequest{SubjectToken: "user-t1", Audience: []string{"x"}})
	require.NoError(t, err)
	form, _ := as.lastRequest(t)
	assert.Equal(t, TokenTypeAccessToken, form.Get("subject_token_type"))
	for _, k := range []string{"actor_token", "actor_token_type", "resource", "scope", "requested_token_type"} {
		_, present := form[k]
		assert.False(t, present, k)
	}
}

func TestBasicAuthEncodesCredentials(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	as.setRespond(writeRaw(http.StatusOK, "application/json", `{"access_token":"a","token_type":"Bearer","issued_token_type":"urn:x:y"}`))
	c, err := NewTokenClient(TokenClientConfig{TokenURL: as.url(), ClientID: "id:with space", ClientSecret: "p@ss:w%rd", InsecureAllowLoopbackHTTP: true})
	require.NoError(t, err)
	_, err = c.Exchange(context.Background(), ExchangeRequest{SubjectToken: "s", Audience: []string{"x"}})
	require.NoError(t, err)
	_, basic := as.lastRequest(t)
	assert.Equal(t, "id:with space:p@ss:w%rd", basic)
}

func TestExchangeRejectsBadRequests(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	c := newTestClient(t, as)
	for name, req := range map[string]ExchangeRequest{
		"no subject":            {},
		"subject with newline":  {SubjectToken: "a\nb"},
		"bad subject type":      {SubjectToken: "s", SubjectTokenType: "jwt"},
		"actor type w/o actor":  {SubjectToken: "s", ActorTokenType: TokenTypeJWT},
		"bad actor type":        {SubjectToken: "s", ActorToken: "a", ActorTokenType: "x"},
		"actor with space":      {SubjectToken: "s", ActorToken: "a b"},
		"bad requested type":    {SubjectToken: "s", RequestedTokenType: "access_token"},
		"relative resource":     {SubjectToken: "s", Resource: []string{"/api"}},
		"resource w/ fragment":  {SubjectToken: "s", Resource: []string{"https://a/#f"}},
		"scope with space":      {SubjectToken: "s", Scope: []string{"a b"}},
		"scope with quote":      {SubjectToken: "s", Scope: []string{`a"`}},
		"audience with control": {SubjectToken: "s", Audience: []string{"a\x00"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Exchange(context.Background(), req)
			require.ErrorIs(t, err, ErrInvalidRequest)
		})
	}
	assert.Zero(t, as.calls.Load(), "invalid requests are never sent")
}

func TestExchangeErrorResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   ExchangeError
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"subject expired","error_uri":"https://as/errors#grant"}`,
			ExchangeError{Code: "invalid_grant", Description: "subject expired", URI: "https://as/errors#grant", StatusCode: 400}},
		{"invalid_target", 400, `{"error":"invalid_target"}`, ExchangeError{Code: "invalid_target", StatusCode: 400}},
		{"invalid_client 401", 401, `{"error":"invalid_client"}`, ExchangeError{Code: "invalid_client", StatusCode: 401}},
		{"html 502", 502, `<html>bad gateway</html>`, ExchangeError{StatusCode: 502}},
		{"empty 500", 500, ``, ExchangeError{StatusCode: 500}},
		{"redirect not followed", 302, ``, ExchangeError{StatusCode: 302}},
		{"201 is not success", 201, `{"access_token":"a","token_type":"Bearer","issued_token_type":"urn:x"}`, ExchangeError{StatusCode: 201}},
		{"error code not a string", 400, `{"error":42}`, ExchangeError{StatusCode: 400}},
		{"error code with quote", 400, `{"error":"bad\"code"}`, ExchangeError{StatusCode: 400}},
		{"echoed subject token redacted", 400, `{"error":"invalid_grant","error_description":"token user-subject-token-abc is bad"}`,
			ExchangeError{Code: "invalid_grant", Description: "token [redacted] is bad", StatusCode: 400}},
		{"echoed secret redacted", 401, `{"error":"invalid_client","error_description":"secret s3cret-agent-1 wrong"}`,
			ExchangeError{Code: "invalid_client", Description: "secret [redacted] wrong", StatusCode: 401}},
		{"jwt-looking text redacted", 400, `{"error":"invalid_grant","error_description":"got eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlc2lnbmF0dXJl"}`,
			ExchangeError{Code: "invalid_grant", Description: "got [redacted]", StatusCode: 400}},
		{"error code echoing the subject token dropped", 400, `{"error":"user-subject-token-abc"}`, ExchangeError{StatusCode: 400}},
		{"control chars replaced", 400, `{"error":"invalid_grant","error_description":"a\r\nb\u0000c\"d"}`,
			ExchangeError{Code: "invalid_grant", Description: "a??b?c?d", StatusCode: 400}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			status, body := c.status, c.body
			as.setRespond(func(w http.ResponseWriter, _ url.Values) {
				if status == 302 {
					w.Header().Set("Location", "https://elsewhere.example/token")
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(body))
			})
			_, err := newTestClient(t, as).Exchange(context.Background(), ExchangeRequest{
				SubjectToken: "user-subject-token-abc", ActorToken: "actor-token-xyz", Audience: []string{"x"},
			})
			var xe *ExchangeError
			require.ErrorAs(t, err, &xe)
			assert.Equal(t, c.want, *xe)
			for _, secret := range []string{"user-subject-token-abc", "actor-token-xyz", testClientSecret} {
				assert.NotContains(t, err.Error(), secret)
			}
			assert.EqualValues(t, 1, as.calls.Load())
		})
	}
}

func TestExchangeErrorMessage(t *testing.T) {
	t.Parallel()
	e := &ExchangeError{Code: "invalid_grant", Description: "expired", StatusCode: 400}
	assert.Equal(t, "a2a: token endpoint error: invalid_grant (status 400): expired", e.Error())
	assert.Equal(t, "a2a: token endpoint error (status 502)", (&ExchangeError{StatusCode: 502}).Error())
}

func TestExchangeHostileSuccessResponses(t *testing.T) {
	t.Parallel()
	valid := `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","expires_in":60}`
	cases := []struct {
		name, ctype, body string
	}{
		{"wrong content type", "text/plain", valid},
		{"no content type", "", valid},
		{"not json", "application/json", `access_token=abc`},
		{"array", "application/json", `[` + valid + `]`},
		{"trailing object", "application/json", valid + valid},
		{"trailing garbage", "application/json", valid + `x`},
		{"truncated", "application/json", valid[:len(valid)-3]},
		{"duplicate access_token", "application/json", `{"access_token":"abc","access_token":"evil","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"missing access_token", "application/json", `{"token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"empty access_token", "application/json", `{"access_token":"","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"null access_token", "application/json", `{"access_token":null,"token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"numeric access_token", "application/json", `{"access_token":123,"token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"header injection", "application/json", `{"access_token":"abc\r\nX-Evil: 1","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"space in bearer", "application/json", `{"access_token":"ab c","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"non-ascii", "application/json", `{"access_token":"abç","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
		{"missing token_type", "application/json", `{"access_token":"abc","issued_token_type":"urn:x:y"}`},
		{"token_type with space", "application/json", `{"access_token":"abc","token_type":"Bearer x","issued_token_type":"urn:x:y"}`},
		{"missing issued_token_type", "application/json", `{"access_token":"abc","token_type":"Bearer"}`},
		{"issued_token_type not URI", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"access_token"}`},
		{"issued_token_type object", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":{}}`},
		{"expires_in string", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":"60"}`},
		{"expires_in negative", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":-1}`},
		{"expires_in zero", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":0}`},
		{"expires_in fraction", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":1.5}`},
		{"expires_in huge", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":1e300}`},
		{"expires_in overflow", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":99999999999999999999}`},
		{"scope double space", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","scope":"a  b"}`},
		{"scope with backslash", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","scope":"a\\b"}`},
		{"scope array", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","scope":["a"]}`},
		{"refresh_token newline", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","refresh_token":"a\nb"}`},
		{"oversized", "application/json", `{"access_token":"` + strings.Repeat("a", DefaultMaxResponseBytes) + `","token_type":"Bearer","issued_token_type":"urn:x:y"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			as.setRespond(writeRaw(http.StatusOK, c.ctype, c.body))
			tok, err := newTestClient(t, as).Exchange(context.Background(), ExchangeRequest{SubjectToken: "user-subject", Audience: []string{"x"}})
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Nil(t, tok)
			assert.NotContains(t, err.Error(), "evil")
			assert.NotContains(t, err.Error(), "abc")
		})
	}
}

func TestExchangeAcceptsValidVariants(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, ctype, body string }{
		{"charset param", "application/json; charset=utf-8", `{"access_token":"a.b-c_d~e+f/g==","token_type":"bearer","issued_token_type":"urn:ietf:params:oauth:token-type:jwt"}`},
		{"nulls for optional", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","expires_in":null,"scope":null,"refresh_token":null}`},
		{"extension members", "application/json", `{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:x:y","x":{"y":[1,2]}}`},
		{"N_A token type", "application/json", `{"access_token":"PHNhbWw+","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:saml2"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			as := newFakeAS(t)
			as.setRespond(writeRaw(http.StatusOK, c.ctype, c.body))
			tok, err := newTestClient(t, as).Exchange(context.Background(), ExchangeRequest{SubjectToken: "s", Audience: []string{"x"}})
			require.NoError(t, err)
			assert.NotEmpty(t, tok.AccessToken)
			assert.True(t, tok.Expiry.IsZero())
		})
	}
}

func TestTokenClientTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	as := newFakeAS(t)
	as.gate = make(chan struct{})
	t.Cleanup(func() { close(as.gate) })
	c := newTestClient(t, as, func(cfg *TokenClientConfig) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.Exchange(context.Background(), ExchangeRequest{SubjectToken: "s", Audience: []string{"x"}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestNewTokenClientRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]TokenClientConfig{
		"no URL":               {ClientID: "a", ClientSecret: "b"},
		"http remote":          {TokenURL: "http://as.example/token", ClientID: "a", ClientSecret: "b", InsecureAllowLoopbackHTTP: true},
		"http loopback no opt": {TokenURL: "http://127.0.0.1/token", ClientID: "a", ClientSecret: "b"},
		"user info":            {TokenURL: "https://u:p@as.example/token", ClientID: "a", ClientSecret: "b"},
		"fragment":             {TokenURL: "https://as.example/token#x", ClientID: "a", ClientSecret: "b"},
		"no client id":         {TokenURL: "https://as.example/token", ClientSecret: "b"},
		"no secret":            {TokenURL: "https://as.example/token", ClientID: "a"},
		"bad style":            {TokenURL: "https://as.example/token", ClientID: "a", ClientSecret: "b", AuthStyle: 5},
		"negative timeout":     {TokenURL: "https://as.example/token", ClientID: "a", ClientSecret: "b", Timeout: -1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewTokenClient(cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.NotContains(t, err.Error(), "u:p")
		})
	}
	c, err := NewTokenClient(TokenClientConfig{TokenURL: "https://as.example/token", ClientID: "a", ClientSecret: "b"})
	require.NoError(t, err)
	assert.Equal(t, "a", c.ClientID())
}

func TestTokenClientOverTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"access_token": "tls-tok", "token_type": "Bearer", "issued_token_type": TokenTypeAccessToken, "expires_in": 60})
	}))
	t.Cleanup(srv.Close)
	c, err := NewTokenClient(TokenClientConfig{TokenURL: srv.URL + "/token", ClientID: "a", ClientSecret: "b", Transport: srv.Client().Transport})
	require.NoError(t, err)
	tok, err := c.Exchange(context.Background(), ExchangeRequest{SubjectToken: "s", Audience: []string{"x"}})
	require.NoError(t, err)
	assert.Equal(t, "tls-tok", tok.AccessToken)
}

func TestTokenNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	tok := &Token{AccessToken: "secret-access", RefreshToken: "secret-refresh", TokenType: "Bearer", Expiry: time.Unix(0, 0)}
	for _, s := range []string{tok.String(), sprintf("%v", tok), sprintf("%+v", tok), sprintf("%#v", tok), tok.LogValue().String()} {
		assert.NotContains(t, s, "secret")
	}
	assert.True(t, errors.Is(responseError("x"), ErrInvalidResponse))
}
