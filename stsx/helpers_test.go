package stsx_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const roleARN = "arn:aws:iam::123456789012:role/tenant-data"

// fakeClock is a settable clock shared by the provider and the server.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

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

func tenant(id, tier, subject string) *tenantctx.Tenant {
	return &tenantctx.Tenant{ID: id, Tier: tier, Subject: subject}
}

func ctxFor(t *tenantctx.Tenant) context.Context {
	return tenantctx.NewContext(context.Background(), t)
}

// newProvider returns a provider over a real sts client talking to srv.
func newProvider(tb testing.TB, srv *ststest.Server, clk *fakeClock, cfg stsx.Config) *stsx.Provider {
	tb.Helper()
	if cfg.RoleARN == "" {
		cfg.RoleARN = roleARN
	}
	if clk != nil && cfg.Now == nil {
		cfg.Now = clk.Now
	}
	p, err := stsx.New(srv.Client(), cfg)
	require.NoError(tb, err)
	return p
}

// mustIssued decodes creds and checks they were issued for the tenant.
func mustIssued(tb testing.TB, creds aws.Credentials, want *tenantctx.Tenant) ststest.Issued {
	tb.Helper()
	is, err := ststest.Decode(creds)
	require.NoError(tb, err)
	require.Equal(tb, want.ID, is.TenantID, "credentials issued for another tenant")
	return is
}

// fakeJWT builds an unsigned token whose payload carries claims; ststest
// reads the tenant from it without verification.
func fakeJWT(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	b, err := json.Marshal(claims)
	require.NoError(tb, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(b) + ".sig"
}
