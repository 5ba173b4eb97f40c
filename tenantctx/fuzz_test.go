package tenantctx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// FuzzVerifyToken feeds arbitrary tokens, seeded with valid and hostile
// ones, to a verifier. It must never panic, and whatever it accepts must be
// a well-formed tenant.
func FuzzVerifyToken(f *testing.F) {
	iss := tenanttest.NewIssuer(f)
	v := iss.Verifier(f, noCache)
	for _, c := range []tenanttest.Claims{
		{Tenant: "t1"},
		{Tenant: "t1", Alg: "ES256", Actors: nestedActors(2)},
		{Tenant: "t1", Alg: "EdDSA", Scopes: []string{"a"}},
		{Tenant: "t1", Alg: "none"},
		{Tenant: "t1", Header: map[string]any{"crit": []string{"x"}}},
		{RawClaims: `{"tenant_id":"a","tenant_id":"b"}`},
	} {
		f.Add(iss.Mint(f, c))
	}
	valid := iss.Mint(f, tenanttest.Claims{Tenant: "t1"})
	f.Add(valid + "\n")
	f.Add(valid[:len(valid)-4] + "\r\n" + valid[len(valid)-4:])
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		ten, err := v.VerifyToken(context.Background(), tok)
		if err != nil {
			if ten != nil {
				t.Fatal("tenant returned with error")
			}
			if len(tok) > 16 && strings.Contains(err.Error(), tok) {
				t.Fatal("error echoes the token")
			}
			return
		}
		if tenantctx.ValidateID(ten.ID) != nil || ten.Subject == "" || ten.ExpiresAt.IsZero() || ten.Token() != tok {
			t.Fatalf("accepted a malformed tenant %v", ten)
		}
		// Only the canonical spelling of a token is accepted: base64url
		// characters and exactly two dots, nothing a decoder would skip.
		if strings.Count(tok, ".") != 2 || strings.Trim(tok, base64urlAlphabet+".") != "" {
			t.Fatalf("accepted a token with characters outside base64url: %q", tok)
		}
	})
}

const base64urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// FuzzExtractToken fuzzes the Authorization header through Verify: any
// header must yield a sentinel error or a tenant, never a panic, and a
// response body that does not echo it.
func FuzzExtractToken(f *testing.F) {
	iss := tenanttest.NewIssuer(f)
	v := iss.Verifier(f)
	f.Add("Bearer " + iss.Mint(f, tenanttest.Claims{Tenant: "t1"}))
	for _, s := range []string{"", "Bearer", "Bearer ", "bearer a.b.c", "Basic Zm9vOmJhcg==", "Bearer a,b", "Bearer \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{h}
		ten, err := v.Verify(r)
		if err == nil {
			if ten == nil || tenantctx.ValidateID(ten.ID) != nil {
				t.Fatal("bad tenant")
			}
			return
		}
		w := httptest.NewRecorder()
		tenantctx.WriteError(w, r, err)
		if w.Code < 400 || (len(h) > 24 && strings.Contains(w.Body.String(), h[7:])) {
			t.Fatalf("status %d body %q", w.Code, w.Body.String())
		}
	})
}
