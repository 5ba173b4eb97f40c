package tenantctx_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// exampleToken signs an RFC 9068 access token with key, as an IdP would.
func exampleToken(key ed25519.PrivateKey, tenant string, exp time.Time) string {
	return signExample(key, jwt.MapClaims{
		"iss": "https://idp.example.com", "aud": "https://api.example.com",
		"sub": "alice", "tenant_id": tenant, "tier": "premium", "scope": "tools:read",
		"exp": exp.Unix(),
	})
}

// signExample signs claims as an at+jwt with key id "k1".
func signExample(key ed25519.PrivateKey, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

func ExampleNewVerifier() {
	pub, priv, _ := ed25519.GenerateKey(nil)
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers: []tenantctx.IssuerConfig{{
			Issuer: "https://idp.example.com",
			// In production: JWKSURLs: []string{"https://idp.example.com/.well-known/jwks.json"},
			Keys: []tenantctx.StaticKey{{ID: "k1", Key: pub}},
		}},
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	t, err := v.VerifyToken(context.Background(), exampleToken(priv, "acme", time.Now().Add(time.Hour)))
	fmt.Println(t, err)

	_, err = v.VerifyToken(context.Background(), exampleToken(priv, "acme", time.Now().Add(-time.Hour)))
	fmt.Println(errors.Is(err, tenantctx.ErrTokenExpired))
	// Output:
	// tenant acme tier premium subject alice <nil>
	// true
}

func ExampleMiddleware() {
	pub, priv, _ := ed25519.GenerateKey(nil)
	v, _ := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: "https://idp.example.com", Keys: []tenantctx.StaticKey{{ID: "k1", Key: pub}}}},
		Audiences: []string{"https://api.example.com"},
	})
	defer v.Close()

	h := tenantctx.Middleware(v, tenantctx.RequireScopes("tools:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			t, _ := tenantctx.FromContext(r.Context())
			fmt.Fprintf(w, "hello %s from %s", t.Subject, t.ID)
		}))

	tok := exampleToken(priv, "acme", time.Now().Add(time.Hour))
	for _, hdr := range []struct{ auth, tenant string }{
		{"Bearer " + tok, ""},
		{"Bearer " + tok, "globex"}, // header names another tenant
		{"Bearer " + tok[:len(tok)-6] + "AAAAAA", ""},
		{"", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/agents", nil)
		if hdr.auth != "" {
			r.Header.Set("Authorization", hdr.auth)
		}
		if hdr.tenant != "" {
			r.Header.Set("X-Tenant-ID", hdr.tenant)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	}
	// Output:
	// 200  hello alice from acme
	// 403  {"error":"tenant_mismatch","error_description":"tenant header does not match token"}
	//
	// 401 Bearer error="invalid_token", error_description="invalid signature" {"error":"invalid_token","error_description":"invalid signature"}
	//
	// 401 Bearer {"error":"missing_token","error_description":"bearer token required"}
}

// Keys come from the IdP's JWKS; the tenant id from a custom claim, as
// Amazon Cognito issues it.
func ExampleMiddleware_jwks() {
	// Stand-in for the IdP's JWKS endpoint, on 127.0.0.1.
	pub, priv, _ := ed25519.GenerateKey(nil)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","alg":"EdDSA","use":"sig","x":%q}]}`,
			base64.RawURLEncoding.EncodeToString(pub))
	}))
	defer idp.Close()
	jwksURL := idp.URL + "/.well-known/jwks.json" // in production "https://idp.example.com/.well-known/jwks.json"
	mux := http.NewServeMux()

	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: "https://idp.example.com", JWKSURLs: []string{jwksURL}}},
		Audiences: []string{"https://api.example.com"},
		Claims:    tenantctx.ClaimNames{Tenant: tenantctx.ClaimPath{"custom:tenant_id"}}, // default "tenant_id"
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	mux.Handle("/agents", tenantctx.Middleware(v, tenantctx.RequireScopes("tools:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			t, _ := tenantctx.FromContext(r.Context()) // t.ID, t.Tier, t.Subject, t.Scopes, t.DelegationChain()
			fmt.Fprintf(w, "hello %s from %s", t.Subject, t.ID)
		})))

	tok := signExample(priv, jwt.MapClaims{
		"iss": "https://idp.example.com", "aud": "https://api.example.com", "sub": "alice",
		"custom:tenant_id": "acme", "scope": "tools:read", "exp": time.Now().Add(time.Hour).Unix(),
	})
	for _, auth := range []string{"Bearer " + tok, "Bearer " + exampleToken(priv, "acme", time.Now().Add(time.Hour))} {
		r := httptest.NewRequest(http.MethodGet, "/agents", nil)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello alice from acme
	// 401 {"error":"invalid_token","error_description":"token has no tenant"}
}

func ExampleFromContext() {
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "acme", Subject: "alice"})
	if t, ok := tenantctx.FromContext(ctx); ok {
		fmt.Println(t.ID, t.Subject)
	}
	_, err := tenantctx.Require(context.Background())
	fmt.Println(err)
	// Output:
	// acme alice
	// tenantctx: no tenant in context
}
