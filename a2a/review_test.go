package a2a

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Path-prefix destinations: paths that a server may normalise to outside
// the prefix (Tomcat's "..;", Windows and IIS backslashes, NUL) and URLs
// whose request target is not their Path (Opaque) never match.
func TestTransportPathPrefixTricks(t *testing.T) {
	t.Parallel()
	dests := []Destination{
		{URL: "https://agent2.internal:8443/agents/", TokenSource: StaticTokenSource(&Token{AccessToken: "tok-agents", TokenType: "Bearer"})},
	}
	mk := func(path, rawPath, opaque string) *url.URL {
		return &url.URL{Scheme: "https", Host: "agent2.internal:8443", Path: path, RawPath: rawPath, Opaque: opaque}
	}
	cases := map[string]*url.URL{
		"dot-dot-semicolon":         mk("/agents/..;/admin", "", ""),
		"encoded dot-dot-semicolon": mk("/agents/..;/admin", "/agents/%2e%2e;/admin", ""),
		"dot-semicolon":             mk("/agents/.;x=1/x", "", ""),
		"backslash":                 mk(`/agents/..\admin`, "", ""),
		"encoded backslash":         mk(`/agents/..\admin`, "/agents/..%5cadmin", ""),
		"nul":                       mk("/agents/x\x00/../../admin", "", ""),
		"opaque":                    mk("/agents/x", "", "/admin"),
		"opaque only":               mk("", "", "//agent2.internal:8443/admin"),
	}
	for name, u := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := &recordingRT{}
			tr := newTestTransport(t, Config{Base: base, Destinations: dests})
			req := (&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}, Host: u.Host}).
				WithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "gold")))
			_, err := tr.RoundTrip(req)
			require.ErrorIs(t, err, ErrUnknownDestination)
			assert.Empty(t, base.reqs)
		})
	}
	// The ordinary paths still match.
	base := &recordingRT{}
	tr := newTestTransport(t, Config{Base: base, Destinations: dests})
	for _, p := range []string{"/agents/x;v=1", "/agents/a%3Bb", "/agents/x.y/..z", "/agents/"} {
		u, err := url.Parse("https://agent2.internal:8443" + p)
		require.NoError(t, err)
		req := (&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}, Host: u.Host}).
			WithContext(tenantctx.NewContext(context.Background(), testTenant("t1", "gold")))
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err, p)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, "Bearer tok-agents", base.last(t).Header.Get("Authorization"), p)
	}
}

// The pass-through guard also holds for a tenant-less destination called
// from a context that carries a tenant: its source must not hand out the
// user's inbound token.
func TestTransportTenantLessRefusesUserToken(t *testing.T) {
	t.Parallel()
	base := &recordingRT{}
	tenant := testTenant("t1", "gold")
	tr := newTestTransport(t, Config{Base: base, Destinations: []Destination{{
		URL: "https://shared.internal", TenantLess: true,
		TokenSource: StaticTokenSource(&Token{AccessToken: tenant.Token(), TokenType: "Bearer"}),
	}}})
	body := newCountingBody("x")
	req, err := http.NewRequestWithContext(tenantctx.NewContext(context.Background(), tenant), http.MethodPost, "https://shared.internal/x", body)
	require.NoError(t, err)
	_, err = tr.RoundTrip(req)
	require.ErrorIs(t, err, ErrTokenPassThrough)
	assert.Empty(t, base.reqs)
	assert.Equal(t, int64(1), body.closes.Load())
}
