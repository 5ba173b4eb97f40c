package gateway_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// One gateway, three ways to use it: around an in-process MCP handler, as a
// reverse proxy in front of a remote MCP server, and around any HTTP API. The
// tenant comes from the verified token; with CheckUserTenant the registry
// must also map the token's user to that tenant.
func Example() {
	reg, err := policy.NewMemoryRegistry(map[string]string{"alice": "Tenant-A", "bob": "Tenant-B"},
		policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
		  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},
		  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`)))
	if err != nil {
		log.Fatal(err)
	}
	verifier, mint := exampleVerifier()
	defer verifier.Close()
	mcpHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Println("mcp handler ran") })
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ ID json.RawMessage }
		_ = json.NewDecoder(r.Body).Decode(&msg)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"order o-1 shipped"}]}}`, msg.ID)
	}))
	defer remote.Close()
	remoteMCPURL, _ := url.Parse(remote.URL + "/mcp")
	apiHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "api ran") })
	byPath := func(r *http.Request) (string, string, error) {
		return policy.ResourceTypeTool, gateway.DefaultResourceFor(strings.TrimPrefix(r.URL.Path, "/api/tools/")), nil
	}

	g, err := gateway.New(gateway.Config{Registry: reg, CheckUserTenant: true}) // user → tenant → policy
	if err != nil {
		log.Fatal(err)
	}
	proxy, err := g.MCPProxy(gateway.ProxyConfig{Target: remoteMCPURL}) // front a remote MCP server
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", tenantctx.Middleware(verifier)(g.MCP(mcpHandler))) // wrap an in-process MCP handler
	mux.Handle("/remote/mcp", tenantctx.Middleware(verifier)(proxy))
	mux.Handle("/api/", tenantctx.Middleware(verifier)(g.HTTP(byPath)(apiHandler))) // or any HTTP API

	for _, c := range []struct{ user, tenant, path, tool string }{
		{"alice", "Tenant-A", "/mcp", "admin-refund"},
		{"alice", "Tenant-A", "/remote/mcp", "order-lookup"},
		{"bob", "Tenant-A", "/remote/mcp", "order-lookup"}, // bob belongs to Tenant-B
		{"alice", "Tenant-A", "/api/tools/admin-refund", ""},
	} {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q}}`, c.tool)
		r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+mint(c.user, c.tenant))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(c.user, c.path, w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// alice /mcp 200 {"jsonrpc":"2.0","id":1,"error":{"code":-32030,"message":"gateway: tool not permitted","data":{"reason":"Insufficient privileges","policyId":"POL-TENANT-A"}}}
	// alice /remote/mcp 200 {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"order o-1 shipped"}]}}
	// bob /remote/mcp 200 {"jsonrpc":"2.0","id":1,"error":{"code":-32030,"message":"gateway: tool not permitted","data":{"reason":"user does not belong to tenant"}}}
	// alice /api/tools/admin-refund 403 {"error":"forbidden","reason":"Insufficient privileges","policyId":"POL-TENANT-A"}
}

// exampleVerifier returns a verifier that trusts an Ed25519 key, and a
// function minting that key's tokens, as an IdP would.
func exampleVerifier() (*tenantctx.Verifier, func(user, tenant string) string) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	v, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: "https://idp.example.com", Keys: []tenantctx.StaticKey{{ID: "k1", Key: pub}}}},
		Audiences: []string{"https://tools.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return v, func(user, tenant string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": "https://idp.example.com", "aud": "https://tools.example.com",
			"sub": user, "tenant_id": tenant, "exp": time.Now().Add(time.Hour).Unix(),
		})
		tok.Header["typ"] = "at+jwt"
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(priv)
		if err != nil {
			log.Fatal(err)
		}
		return s
	}
}

// The gateway in front of an MCP Streamable HTTP handler: Tenant-A's call of
// admin-refund is answered with a JSON-RPC error and never reaches the
// server.
func ExampleGateway_MCP() {
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`)))
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	if err != nil {
		panic(err)
	}
	mcpServer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("server saw the request")
		w.WriteHeader(http.StatusAccepted)
	})
	h := g.MCP(mcpServer) // in production: tenantctx.Middleware(verifier)(g.MCP(mcpServer))

	// What the tenantctx middleware does after verifying the token:
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"})
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/mcp", strings.NewReader(
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"admin-refund","arguments":{"order":"o-1"}}}`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 200 {"jsonrpc":"2.0","id":7,"error":{"code":-32030,"message":"gateway: tool not permitted","data":{"reason":"Insufficient privileges","policyId":"POL-TENANT-A"}}}
}

// Generic HTTP interception: a Mapper names the resource a request uses.
func ExampleGateway_HTTP() {
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]}]}`)))
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	if err != nil {
		panic(err)
	}
	byPath := func(r *http.Request) (string, string, error) {
		name, ok := strings.CutPrefix(r.URL.Path, "/tools/")
		if !ok {
			return "", "", gateway.ErrUnmapped
		}
		return policy.ResourceTypeTool, gateway.DefaultResourceFor(name), nil
	}
	h := g.HTTP(byPath)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ran")
	}))
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "Tenant-A"})
	for _, path := range []string{"/tools/order-lookup", "/tools/admin-refund"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodPost, path, nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 ran
	// 403 {"error":"forbidden","reason":"no matching rule","policyId":"POL-TENANT-A"}
}
