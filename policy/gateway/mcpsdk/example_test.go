package mcpsdk_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/mcpsdk"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Enforcing tool policies inside an official Go MCP SDK server.
func ExampleMiddleware() {
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]}]}`)))
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	if err != nil {
		panic(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "tools", Version: "1.0.0"}, nil)
	for _, name := range []string{"order-lookup", "admin-refund"} {
		mcp.AddTool(server, &mcp.Tool{Name: name}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			fmt.Println("ran", name)
			return &mcp.CallToolResult{}, nil, nil
		})
	}
	server.AddReceivingMiddleware(mcpsdk.Middleware(g))

	// An in-memory session whose context carries Tenant-A. Over HTTP, use
	// auth.RequireBearerToken(mcpsdk.TokenVerifier(), nil) instead.
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "Tenant-A"})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		panic(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1.0.0"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		panic(err)
	}
	defer cs.Close()

	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	for _, tl := range res.Tools {
		fmt.Println("listed", tl.Name)
	}
	_, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "admin-refund"})
	var rpcErr *jsonrpc.Error
	fmt.Println(errors.As(err, &rpcErr), rpcErr.Code)
	// Output:
	// listed order-lookup
	// true -32030
}
