package tenantctx_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

var benchClaims = tenanttest.Claims{
	Tenant:  "tenant-42",
	Subject: "user-9",
	Tier:    "premium",
	Scopes:  []string{"tools:read", "tools:write"},
}

func BenchmarkVerify(b *testing.B) {
	iss := tenanttest.NewIssuer(b)
	v := iss.Verifier(b, func(c *tenantctx.Config) { c.TokenCache.Disabled = true })
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			c := benchClaims
			c.Alg = alg
			tok := iss.Mint(b, c)
			ctx := context.Background()
			if _, err := v.VerifyToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMiddleware(b *testing.B) {
	iss := tenanttest.NewIssuer(b)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := tenantctx.FromContext(r.Context()); !ok {
			panic("no tenant")
		}
	})
	run := func(b *testing.B, v *tenantctx.Verifier) {
		h := tenantctx.Middleware(v)(next)
		r := iss.NewRequest(b, http.MethodGet, "/", benchClaims)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
	}
	b.Run("cold-RS256", func(b *testing.B) {
		run(b, iss.Verifier(b, func(c *tenantctx.Config) { c.TokenCache.Disabled = true }))
	})
	b.Run("cached", func(b *testing.B) {
		run(b, iss.Verifier(b))
	})
}

// BenchmarkGolangJWT is the reference: golang-jwt's own parse and verify of
// the same RS256 token, with the same registered-claim checks.
func BenchmarkGolangJWT(b *testing.B) {
	iss := tenanttest.NewIssuer(b)
	b.Run("RS256", func(b *testing.B) {
		tok := iss.Mint(b, benchClaims)
		pub := iss.PublicKey(b, "RS256").(*rsa.PublicKey)
		p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss.URL()),
			jwt.WithAudience(iss.Audience()), jwt.WithExpirationRequired())
		keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
		b.ReportAllocs()
		for b.Loop() {
			t, err := p.Parse(tok, keyFunc)
			if err != nil || !t.Valid {
				b.Fatal(err)
			}
		}
	})
}
