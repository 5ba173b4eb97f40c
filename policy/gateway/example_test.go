package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

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
