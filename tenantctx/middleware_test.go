package tenantctx_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

func TestMiddlewareRFC6750(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	tok := iss.Mint(t, tenanttest.Claims{Tenant: "t1", Scopes: []string{"read"}})

	tests := []struct {
		name      string
		req       func() *http.Request
		opts      []tenantctx.MiddlewareOption
		status    int
		challenge string // exact WWW-Authenticate, or "" for none
		want      error
	}{
		{name: "valid", req: func() *http.Request { return bearer("/", tok) }, status: 200},
		{name: "lowercase scheme", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bearer "+tok)
			return r
		}, status: 200},
		{name: "mixed case scheme, two spaces", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "BeArEr  "+tok)
			return r
		}, status: 200},
		{name: "no token", req: func() *http.Request { return httptest.NewRequest("GET", "/", nil) },
			status: 401, challenge: `Bearer`, want: tenantctx.ErrNoToken},
		{name: "two authorization headers", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Add("Authorization", "Bearer "+tok)
			return r
		}, status: 400, challenge: `Bearer error="invalid_request", error_description="malformed authorization"`, want: tenantctx.ErrInvalidRequest},
		{name: "basic scheme", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.SetBasicAuth("u", "p")
			return r
		}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "bearer without token", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer ")
			return r
		}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "bearer without space", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer"+tok)
			return r
		}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "token with comma", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok+", Bearer "+tok)
			return r
		}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "query token ignored by default", req: func() *http.Request {
			return httptest.NewRequest("GET", "/?access_token="+tok, nil)
		}, status: 401, challenge: `Bearer`, want: tenantctx.ErrNoToken},
		{name: "query token opted in", req: func() *http.Request {
			return httptest.NewRequest("GET", "/?access_token="+tok, nil)
		}, opts: []tenantctx.MiddlewareOption{tenantctx.AllowQueryToken()}, status: 200},
		{name: "query and header", req: func() *http.Request { return bearer("/?access_token="+tok, tok) },
			opts: []tenantctx.MiddlewareOption{tenantctx.AllowQueryToken()}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "query key percent-encoded and header", req: func() *http.Request { return bearer("/?access%5Ftoken="+tok, tok) },
			opts: []tenantctx.MiddlewareOption{tenantctx.AllowQueryToken()}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "query token percent-encoded key opted in", req: func() *http.Request {
			return httptest.NewRequest("GET", "/?access%5Ftoken="+tok, nil)
		}, opts: []tenantctx.MiddlewareOption{tenantctx.AllowQueryToken()}, status: 200},
		{name: "tab after scheme", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer\t"+tok)
			return r
		}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "query token twice", req: func() *http.Request {
			return httptest.NewRequest("GET", "/?access_token="+tok+"&access_token="+tok, nil)
		}, opts: []tenantctx.MiddlewareOption{tenantctx.AllowQueryToken()}, status: 400, want: tenantctx.ErrInvalidRequest},
		{name: "required scope present", req: func() *http.Request { return bearer("/", tok) },
			opts: []tenantctx.MiddlewareOption{tenantctx.RequireScopes("read")}, status: 200},
		{name: "required scope missing", req: func() *http.Request { return bearer("/", tok) },
			opts: []tenantctx.MiddlewareOption{tenantctx.RequireScopes("read", "write")}, status: 403,
			challenge: `Bearer error="insufficient_scope", scope="read write"`, want: tenantctx.ErrInsufficientScope},
		{name: "tenant header matches", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Tenant-ID", "t1")
			return r
		}, status: 200},
		{name: "tenant header differs", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Tenant-ID", "t2")
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header repeated", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Add("X-Tenant-ID", "t1")
			r.Header.Add("X-Tenant-ID", "t2")
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header empty", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header["X-Tenant-Id"] = []string{""}
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header non-canonical key differs", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header["X-Tenant-ID"] = []string{"t2"}
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header lowercase key matches", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header["x-tenant-id"] = []string{"t1"}
			return r
		}, status: 200},
		{name: "tenant header under two spellings", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Tenant-ID", "t1")
			r.Header["x-tenant-id"] = []string{"t2"}
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header with underscores differs", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header["X_tenant_id"] = []string{"t2"}
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "tenant header case differs in value", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Tenant-ID", "T1")
			return r
		}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "custom tenant header differs", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Org", "t2")
			return r
		}, opts: []tenantctx.MiddlewareOption{tenantctx.WithTenantHeader("x-org")}, status: 403, want: tenantctx.ErrTenantMismatch},
		{name: "binding disabled", req: func() *http.Request {
			r := bearer("/", tok)
			r.Header.Set("X-Tenant-ID", "t2")
			return r
		}, opts: []tenantctx.MiddlewareOption{tenantctx.WithTenantHeader("")}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.req()
			before := r.Header.Clone()
			w, got := serve(t, v, r, tt.opts...)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, before, r.Header, "request must not be modified")
			if tt.status == 200 {
				require.NotNil(t, got)
				assert.Equal(t, "t1", got.ID, "tenant comes from the token")
				return
			}
			assert.Nil(t, got)
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			}
			wantChallenges := 1
			if errors.Is(tt.want, tenantctx.ErrTenantMismatch) {
				wantChallenges = 0
			}
			assert.Len(t, w.Header().Values("WWW-Authenticate"), wantChallenges)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			assert.NotEmpty(t, body["error"])
			assert.Less(t, w.Body.Len(), 200)
			assert.NotContains(t, w.Body.String(), tok[:20])

			_, err := v.Verify(tt.req())
			if len(tt.opts) == 0 {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestMiddlewareErrorHandler(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	var seen error
	h := tenantctx.Middleware(v, tenantctx.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		seen = err
		w.WriteHeader(http.StatusTeapot)
	}))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("next must not run") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, bearer("/", iss.Mint(t, tenanttest.Claims{Tenant: "t1", Type: "JWT"})))
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.ErrorIs(t, seen, tenantctx.ErrInvalidType)
}

func TestMiddlewareSetsSpanAttributes(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	r := iss.NewRequest(t, "GET", "/", tenanttest.Claims{Tenant: "t1", Tier: "premium", Subject: "alice"}).WithContext(ctx)
	w, got := serve(t, v, r)
	span.End()
	require.Equal(t, http.StatusOK, w.Code)
	require.NotNil(t, got)

	spans := rec.Ended()
	require.Len(t, spans, 1)
	attrs := map[attribute.Key]string{}
	for _, kv := range spans[0].Attributes() {
		attrs[kv.Key] = kv.Value.AsString()
	}
	assert.Equal(t, map[attribute.Key]string{"tenant.id": "t1", "tenant.tier": "premium", "enduser.id": "alice"}, attrs)
}

func TestMiddlewareNilVerifierPanics(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { tenantctx.Middleware(nil) })
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		tenantctx.ErrNoToken:           401,
		tenantctx.ErrTokenExpired:      401,
		tenantctx.ErrInvalidRequest:    400,
		tenantctx.ErrInsufficientScope: 403,
		tenantctx.ErrTenantMismatch:    403,
		tenantctx.ErrKeySetUnavailable: 503,
		context.Canceled:               401,
	} {
		assert.Equal(t, want, tenantctx.StatusCode(err), err.Error())
	}
}

func TestWriteErrorNeverEchoesScopeInjection(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	tenantctx.WriteError(w, nil, &tenantctx.ScopeError{Required: []string{`a" , error="x`}})
	assert.Equal(t, `Bearer error="insufficient_scope"`, w.Header().Get("WWW-Authenticate"))
	assert.False(t, strings.Contains(w.Body.String(), `error=\"x`))
}
