package agentcore_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy/gateway/agentcore"
)

// A RESPONSE interceptor filters every tools list in the target's answer,
// also one under an id the request did not have, or in the answer to a
// tools/call.
func TestInterceptorFiltersToolsListWithAnyID(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	list := `{"tools":[{"name":"order-lookup"},{"name":"admin-refund"},{"name":"forecast"}],"nextCursor":"p2"}`
	tests := []struct{ name, req, resp string }{
		{"list, other id", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, `{"jsonrpc":"2.0","id":2,"result":` + list + `}`},
		{"list, null id", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, `{"jsonrpc":"2.0","id":null,"result":` + list + `}`},
		{"list, batch", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, `[{"jsonrpc":"2.0","id":1,"result":` + list + `},{"jsonrpc":"2.0","id":"x","result":` + list + `}]`},
		{"call answered with a list", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"order-lookup"}}`, `{"jsonrpc":"2.0","id":3,"result":` + list + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := &agentcore.Input{InterceptorInputVersion: "1.0", MCP: &agentcore.MCPInput{
				GatewayRequest: &agentcore.GatewayRequest{
					Headers: map[string]string{"Authorization": "Bearer tenant-a-token"},
					Body:    json.RawMessage(tt.req),
				},
				GatewayResponse: &agentcore.GatewayResponse{StatusCode: 200, Body: json.RawMessage(tt.resp)},
			}}
			out, err := icpt.Handle(context.Background(), in)
			require.NoError(t, err)
			require.NotNil(t, out.MCP.TransformedGatewayResponse)
			body := string(out.MCP.TransformedGatewayResponse.Body)
			assert.NotContains(t, body, "admin-refund")
			assert.NotContains(t, body, "forecast")
		})
	}
}

// With payloadFilter excluding RESPONSE_BODY the gateway sends a null body
// and uses the target's original body when the interceptor returns null:
// a tools/list answer the interceptor cannot see must not pass unfiltered.
func TestInterceptorNullResponseBodyFailsClosed(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	for _, body := range []string{``, `null`, ` null `} {
		in := &agentcore.Input{InterceptorInputVersion: "1.0", MCP: &agentcore.MCPInput{
			GatewayRequest: &agentcore.GatewayRequest{
				Headers: map[string]string{"Authorization": "Bearer tenant-a-token"},
				Body:    json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`),
			},
			GatewayResponse: &agentcore.GatewayResponse{StatusCode: 200, Body: json.RawMessage(body)},
		}}
		out, err := icpt.Handle(context.Background(), in)
		require.NoError(t, err)
		resp := out.MCP.TransformedGatewayResponse
		require.NotNil(t, resp)
		assert.Equal(t, 502, resp.StatusCode, "body %q", body)
		b, err := json.Marshal(resp)
		require.NoError(t, err)
		assert.NotContains(t, string(b), `"body":null`)
	}
}

// A forwarded request never carries the caller's credentials to the
// target: the interceptor's headers may be propagated to it.
func TestInterceptorDoesNotForwardCredentials(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`,
	} {
		in := &agentcore.Input{InterceptorInputVersion: "1.0", MCP: &agentcore.MCPInput{
			GatewayRequest: &agentcore.GatewayRequest{
				Headers: map[string]string{
					"authorization": "Bearer tenant-a-token", "Cookie": "s=1",
					"Proxy-Authorization": "Basic eA==", "Mcp-Session-Id": "session-1",
				},
				Body: json.RawMessage(body),
			},
		}}
		out, err := icpt.Handle(context.Background(), in)
		require.NoError(t, err)
		req := out.MCP.TransformedGatewayRequest
		require.NotNil(t, req, body)
		assert.Equal(t, map[string]string{"Mcp-Session-Id": "session-1"}, req.Headers, body)
		assert.JSONEq(t, body, string(req.Body))
	}
}

// Two spellings of Authorization with different tokens are ambiguous: the
// gateway authenticated one of them, and a map has no order. Refused.
func TestInterceptorAmbiguousAuthorization(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	for range 20 {
		in := &agentcore.Input{InterceptorInputVersion: "1.0", MCP: &agentcore.MCPInput{
			GatewayRequest: &agentcore.GatewayRequest{
				Headers: map[string]string{"Authorization": "Bearer tenant-a-token", "authorization": "Bearer tenant-b-token"},
				Body:    json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin-refund"}}`),
			},
		}}
		out, err := icpt.Handle(context.Background(), in)
		require.NoError(t, err)
		require.Nil(t, out.MCP.TransformedGatewayRequest)
		require.Equal(t, 401, out.MCP.TransformedGatewayResponse.StatusCode)
	}
	assert.Equal(t, "", (&agentcore.GatewayRequest{Headers: map[string]string{"X-A": "1", "x-a": "2"}}).Header("x-A"))
	assert.Equal(t, "1", (&agentcore.GatewayRequest{Headers: map[string]string{"X-A": "1", "x-a": "1"}}).Header("x-A"))
}
