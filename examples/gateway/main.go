// Command gateway runs a real MCP server (the official Go MCP SDK) behind the
// tenantkit tool gateway and checks tenant isolation end to end:
//
//   - the MCP endpoint is protected by tenantctx.Middleware (JWT, EdDSA key)
//     and gateway.MCP;
//   - Tenant-A's agent lists tools and sees only order-lookup and crm-search;
//   - its call of admin-refund is refused with a JSON-RPC error, and the tool
//     handler never runs;
//   - Tenant-B's agent, on the same server, may refund and sees its own tools.
//
// Everything listens on 127.0.0.1 and stops when the program ends. It exits
// 0 when isolation holds and 1 otherwise.
//
//	go run ./examples/gateway
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

const (
	issuer   = "https://idp.example.com"
	audience = "https://tools.example.com"
)

var policies = []string{
	`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`,
	`{"policyId":"POL-TENANT-B","tenantId":"Tenant-B","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:admin-refund","agent:tool:order-lookup"]}]}`,
}

func main() {
	if err := run(); err != nil {
		log.Print("isolation check FAILED: ", err)
		os.Exit(1)
	}
	fmt.Println("isolation holds")
}

func run() error {
	ctx := context.Background()

	// The identity provider's key, and a verifier that trusts it.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	verifier, err := tenantctx.NewVerifier(tenantctx.Config{
		Issuers:   []tenantctx.IssuerConfig{{Issuer: issuer, Keys: []tenantctx.StaticKey{{ID: "k1", Algorithm: "EdDSA", Key: pub}}}},
		Audiences: []string{audience},
	})
	if err != nil {
		return err
	}
	defer verifier.Close()
	mint := func(tenant, user string) (string, error) {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": issuer, "aud": audience, "sub": user, "tenant_id": tenant,
			"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix(),
		})
		tok.Header["typ"] = "at+jwt"
		tok.Header["kid"] = "k1"
		return tok.SignedString(priv)
	}

	// The policies, users and the gateway.
	var compiled []*policy.Policy
	for _, p := range policies {
		doc, err := policy.Parse([]byte(p))
		if err != nil {
			return err
		}
		c, err := policy.Compile(doc)
		if err != nil {
			return err
		}
		compiled = append(compiled, c)
	}
	reg, err := policy.NewMemoryRegistry(map[string]string{"alice": "Tenant-A", "bob": "Tenant-B"}, compiled...)
	if err != nil {
		return err
	}
	gw, err := gateway.New(gateway.Config{Registry: reg, CheckUserTenant: true})
	if err != nil {
		return err
	}

	// A real MCP server whose tools count their invocations.
	server := mcp.NewServer(&mcp.Implementation{Name: "shop-tools", Version: "1.0.0"}, nil)
	runs := map[string]*atomic.Int64{}
	for _, name := range []string{"order-lookup", "crm-search", "admin-refund", "forecast"} {
		n := &atomic.Int64{}
		runs[name] = n
		mcp.AddTool(server, &mcp.Tool{Name: name, Description: "the " + name + " tool"},
			func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
				n.Add(1)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " done"}}}, nil, nil
			})
	}
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	srv := httptest.NewServer(tenantctx.Middleware(verifier)(gw.MCP(mcpHandler))) // 127.0.0.1
	defer srv.Close()
	fmt.Println("MCP server behind the gateway at", srv.URL)

	check := func(tenant, user string, wantTools []string, deniedTool, allowedTool string) error {
		token, err := mint(tenant, user)
		if err != nil {
			return err
		}
		client := mcp.NewClient(&mcp.Implementation{Name: "agent-" + user, Version: "1.0.0"}, nil)
		cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
			Endpoint:   srv.URL,
			HTTPClient: &http.Client{Transport: bearer{token: token}},
			MaxRetries: -1,
		}, nil)
		if err != nil {
			return fmt.Errorf("%s: connect: %w", tenant, err)
		}
		defer cs.Close()

		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			return fmt.Errorf("%s: tools/list: %w", tenant, err)
		}
		var names []string
		for _, tl := range res.Tools {
			names = append(names, tl.Name)
		}
		sort.Strings(names)
		fmt.Printf("%s sees tools %v\n", tenant, names)
		if !slices.Equal(names, wantTools) {
			return fmt.Errorf("%s sees %v, want %v", tenant, names, wantTools)
		}

		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: allowedTool}); err != nil {
			return fmt.Errorf("%s: allowed call of %s failed: %w", tenant, allowedTool, err)
		}
		fmt.Printf("%s called %s: ok\n", tenant, allowedTool)

		before := runs[deniedTool].Load()
		_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: deniedTool})
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != gateway.CodeToolDenied {
			return fmt.Errorf("%s: call of %s was not refused by the gateway (err=%v)", tenant, deniedTool, err)
		}
		if runs[deniedTool].Load() != before {
			return fmt.Errorf("%s: the %s handler ran", tenant, deniedTool)
		}
		fmt.Printf("%s called %s: refused (%d %s: %s)\n", tenant, deniedTool, rpcErr.Code, rpcErr.Message, rpcErr.Data)
		return nil
	}
	if err := check("Tenant-A", "alice", []string{"crm-search", "order-lookup"}, "admin-refund", "order-lookup"); err != nil {
		return err
	}
	if err := check("Tenant-B", "bob", []string{"admin-refund", "order-lookup"}, "forecast", "admin-refund"); err != nil {
		return err
	}
	if n := runs["admin-refund"].Load(); n != 1 {
		return fmt.Errorf("admin-refund ran %d times, want 1 (Tenant-B's call only)", n)
	}
	return nil
}

// bearer adds the agent's access token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r2)
}
