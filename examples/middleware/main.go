// Command middleware shows tenantctx.Middleware accepting a valid access
// token and rejecting bad ones. Everything runs in-process on 127.0.0.1: a
// tiny identity provider serving a JWKS, and an API protected by the
// middleware. It exits 0 when every request got the expected answer.
//
//	go run ./examples/middleware
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/tenantctx"
)

func main() {
	if err := run(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run() error {
	// The identity provider: one P-256 key, published as a JWKS.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		pt, _ := key.PublicKey.Bytes() // 0x04 || X || Y
		enc := base64.RawURLEncoding.EncodeToString
		w.Header().Set("Cache-Control", "max-age=300")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]string{
			"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
			"x": enc(pt[1:33]), "y": enc(pt[33:]),
		}}})
	}))
	defer idp.Close()

	// The API: the middleware verifies the token and puts the tenant in ctx.
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:    []tenantctx.IssuerConfig{{Issuer: idp.URL, JWKSURLs: []string{idp.URL + "/jwks.json"}}},
		Audiences:  []string{"https://agents.example.com"},
		HTTPClient: idp.Client(),
	})
	if err != nil {
		return err
	}
	defer v.Close()
	api := httptest.NewServer(tenantctx.Middleware(v, tenantctx.RequireScopes("agent:invoke"))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, _ := tenantctx.FromContext(r.Context())
			fmt.Fprintf(w, "tenant=%s tier=%s user=%s", t.ID, t.Tier, t.Subject)
		})))
	defer api.Close()

	mint := func(tenant, scope string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": idp.URL, "aud": "https://agents.example.com", "sub": "alice",
			"tenant_id": tenant, "tier": "premium", "scope": scope,
			"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix(),
		})
		tok.Header["typ"] = "at+jwt"
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			log.Fatal(err)
		}
		return s
	}
	good := mint("acme", "agent:invoke")
	parts := strings.Split(good, ".")
	forged := parts[0] + "." + strings.Split(mint("globex", "agent:invoke"), ".")[1] + "." + parts[2]

	cases := []struct {
		name, token, tenantHeader string
		want                      int
	}{
		{"valid token", good, "", http.StatusOK},
		{"valid token, matching X-Tenant-ID", good, "acme", http.StatusOK},
		{"X-Tenant-ID naming another tenant", good, "globex", http.StatusForbidden},
		{"claims swapped under the signature", forged, "", http.StatusUnauthorized},
		{"missing scope", mint("acme", "agent:read"), "", http.StatusForbidden},
		{"no token", "", "", http.StatusUnauthorized},
	}
	failed := false
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, api.URL+"/invoke", nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if c.tenantHeader != "" {
			req.Header.Set("X-Tenant-ID", c.tenantHeader)
		}
		resp, err := api.Client().Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mark := "ok  "
		if resp.StatusCode != c.want {
			mark, failed = "FAIL", true
		}
		fmt.Printf("%s %-38s %d %s\n", mark, c.name, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if failed {
		return fmt.Errorf("middleware example: unexpected status")
	}
	return nil
}
