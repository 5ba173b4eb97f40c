package tenantctx_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// fakeClock is a settable clock shared by an issuer and its verifier.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// serve runs r through the middleware and reports the recorder and whether
// the next handler ran.
func serve(t *testing.T, v *tenantctx.Verifier, r *http.Request, opts ...tenantctx.MiddlewareOption) (*httptest.ResponseRecorder, *tenantctx.Tenant) {
	t.Helper()
	var got *tenantctx.Tenant
	h := tenantctx.Middleware(v, opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ten, ok := tenantctx.FromContext(r.Context())
		if !ok {
			t.Error("next handler ran without a tenant")
		}
		got = ten
		w.WriteHeader(http.StatusOK)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w, got
}

func bearer(target, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}
