package agentcore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/agentcore"
	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

const (
	policyA = `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`
	policyB = `{"policyId":"POL-TENANT-B","tenantId":"Tenant-B","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:admin-refund"]}]}`
)

// fakeVerifier accepts two opaque tokens, one per tenant.
type fakeVerifier struct{}

var errBadToken = errors.New("bad token")

func (fakeVerifier) VerifyToken(_ context.Context, raw string) (*tenantctx.Tenant, error) {
	switch raw {
	case "tenant-a-token":
		return &tenantctx.Tenant{ID: "Tenant-A", Subject: "alice"}, nil
	case "tenant-b-token":
		return &tenantctx.Tenant{ID: "Tenant-B", Subject: "bob"}, nil
	}
	return nil, errBadToken
}

var _ agentcore.TokenVerifier = fakeVerifier{}
var _ agentcore.TokenVerifier = (*tenantctx.Verifier)(nil)

type downRegistry struct{}

func (downRegistry) TenantOf(context.Context, string) (string, error) { return "", errors.New("down") }
func (downRegistry) Policy(context.Context, string) (*policy.Policy, error) {
	return nil, errors.New("down")
}

func newInterceptor(t *testing.T, reg policy.Registry) *agentcore.Interceptor {
	t.Helper()
	if reg == nil {
		r, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(policyA)), policy.MustCompile([]byte(policyB)))
		require.NoError(t, err)
		reg = r
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	require.NoError(t, err)
	icpt, err := agentcore.New(agentcore.Config{Gateway: g, Tenant: agentcore.BearerTenant(fakeVerifier{})})
	require.NoError(t, err)
	return icpt
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// run feeds a fixture (optionally with the bearer token replaced) to the
// interceptor and decodes the output generically.
func run(t *testing.T, icpt *agentcore.Interceptor, name, token string) map[string]any {
	t.Helper()
	in := fixture(t, name)
	if token != "" {
		in = []byte(strings.ReplaceAll(string(in), "tenant-a-token", token))
	}
	out, err := icpt.HandleJSON(context.Background(), in)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	assert.Equal(t, "1.0", m["interceptorOutputVersion"])
	return m["mcp"].(map[string]any)
}

func TestInterceptorFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, fixture, token string
		reg                  policy.Registry
		check                func(t *testing.T, mcp map[string]any)
	}{
		{name: "denied call answered by the gateway", fixture: "request_tools_call_denied.json",
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayRequest")
				resp := mcp["transformedGatewayResponse"].(map[string]any)
				assert.EqualValues(t, 200, resp["statusCode"])
				body := resp["body"].(map[string]any)
				assert.EqualValues(t, 7, body["id"])
				e := body["error"].(map[string]any)
				assert.EqualValues(t, gateway.CodeToolDenied, e["code"])
				assert.Equal(t, "Insufficient privileges", e["data"].(map[string]any)["reason"])
			}},
		{name: "same call allowed for tenant B", fixture: "request_tools_call_denied.json", token: "tenant-b-token",
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayResponse")
				req := mcp["transformedGatewayRequest"].(map[string]any)
				assert.Equal(t, "admin-refund", req["body"].(map[string]any)["params"].(map[string]any)["name"])
			}},
		{name: "allowed call passes unchanged", fixture: "request_tools_call_allowed.json",
			check: func(t *testing.T, mcp map[string]any) {
				req := mcp["transformedGatewayRequest"].(map[string]any)
				body := req["body"].(map[string]any)
				assert.Equal(t, "call-1", body["id"])
				assert.Equal(t, "order-lookup", body["params"].(map[string]any)["name"])
				assert.Equal(t, "session-1", req["headers"].(map[string]any)["Mcp-Session-Id"])
			}},
		{name: "tools/list request passes", fixture: "request_tools_list.json",
			check: func(t *testing.T, mcp map[string]any) {
				require.Contains(t, mcp, "transformedGatewayRequest")
				require.NotContains(t, mcp, "transformedGatewayResponse")
			}},
		{name: "tools/list response filtered, cursor kept", fixture: "response_tools_list.json",
			check: func(t *testing.T, mcp map[string]any) {
				resp := mcp["transformedGatewayResponse"].(map[string]any)
				assert.EqualValues(t, 200, resp["statusCode"])
				assert.Equal(t, "session-1", resp["headers"].(map[string]any)["Mcp-Session-Id"])
				body := resp["body"].(map[string]any)
				assert.EqualValues(t, 1, body["id"])
				result := body["result"].(map[string]any)
				assert.Equal(t, "page-2", result["nextCursor"])
				var names []string
				for _, tl := range result["tools"].([]any) {
					names = append(names, tl.(map[string]any)["name"].(string))
				}
				assert.Equal(t, []string{"order-lookup", "crm-search"}, names)
			}},
		{name: "tools/list response for tenant B", fixture: "response_tools_list.json", token: "tenant-b-token",
			check: func(t *testing.T, mcp map[string]any) {
				tools := mcp["transformedGatewayResponse"].(map[string]any)["body"].(map[string]any)["result"].(map[string]any)["tools"].([]any)
				require.Len(t, tools, 1)
				assert.Equal(t, "admin-refund", tools[0].(map[string]any)["name"])
			}},
		{name: "duplicate name in raw body refused", fixture: "request_duplicate_name.json",
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayRequest")
				resp := mcp["transformedGatewayResponse"].(map[string]any)
				assert.EqualValues(t, 400, resp["statusCode"])
			}},
		{name: "no headers: unauthorized", fixture: "request_no_headers.json",
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayRequest")
				assert.EqualValues(t, 401, mcp["transformedGatewayResponse"].(map[string]any)["statusCode"])
			}},
		{name: "bad token: unauthorized", fixture: "request_tools_call_allowed.json", token: "forged",
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayRequest")
				assert.EqualValues(t, 401, mcp["transformedGatewayResponse"].(map[string]any)["statusCode"])
			}},
		{name: "registry down: unavailable", fixture: "request_tools_call_allowed.json", reg: downRegistry{},
			check: func(t *testing.T, mcp map[string]any) {
				require.NotContains(t, mcp, "transformedGatewayRequest")
				assert.EqualValues(t, 503, mcp["transformedGatewayResponse"].(map[string]any)["statusCode"])
			}},
		{name: "registry down: list response not leaked", fixture: "response_tools_list.json", reg: downRegistry{},
			check: func(t *testing.T, mcp map[string]any) {
				resp := mcp["transformedGatewayResponse"].(map[string]any)
				assert.EqualValues(t, 503, resp["statusCode"])
				assert.NotContains(t, resp["body"], "result")
			}},
		{name: "initialize passes without a decision", fixture: "request_initialize.json", reg: downRegistry{},
			check: func(t *testing.T, mcp map[string]any) {
				assert.Contains(t, mcp, "transformedGatewayRequest")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, run(t, newInterceptor(t, tt.reg), tt.fixture, tt.token))
		})
	}
}

func TestInterceptorBadInput(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	for _, in := range []string{
		``, `null`, `[]`, `{}`, `{"interceptorInputVersion":"2.0","mcp":{"gatewayRequest":{"body":{}}}}`,
		`{"interceptorInputVersion":"1.0"}`, `{"interceptorInputVersion":"1.0","mcp":{}}`,
		`{"interceptorInputVersion":"1.0","mcp":{"gatewayRequest":`,
	} {
		_, err := icpt.HandleJSON(context.Background(), json.RawMessage(in))
		assert.ErrorIs(t, err, agentcore.ErrInput, "%q", in)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := agentcore.New(agentcore.Config{})
	assert.ErrorIs(t, err, agentcore.ErrConfig)
	g, err := gateway.New(gateway.Config{Registry: downRegistry{}})
	require.NoError(t, err)
	_, err = agentcore.New(agentcore.Config{Gateway: g})
	assert.ErrorIs(t, err, agentcore.ErrConfig)
}

// FuzzHandleJSON: no input may make the interceptor panic, and an input it
// accepts must never let a tools/call for admin-refund by Tenant-A through.
func FuzzHandleJSON(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(policyA)))
	if err != nil {
		f.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	if err != nil {
		f.Fatal(err)
	}
	icpt, err := agentcore.New(agentcore.Config{Gateway: g, Tenant: agentcore.BearerTenant(fakeVerifier{})})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := icpt.HandleJSON(context.Background(), in)
		if err != nil {
			return
		}
		var o agentcore.Output
		if err := json.Unmarshal(out, &o); err != nil {
			t.Fatalf("output is not JSON: %v", err)
		}
		if o.MCP.TransformedGatewayRequest != nil && o.MCP.TransformedGatewayResponse == nil {
			// The request goes to the target: whatever a lenient parser
			// reads as the tool name must not be admin-refund.
			if strings.Contains(string(o.MCP.TransformedGatewayRequest.Body), "admin-refund") &&
				strings.Contains(string(o.MCP.TransformedGatewayRequest.Body), "tools/call") {
				var m struct {
					Method string `json:"method"`
					Params struct {
						Name string `json:"name"`
					} `json:"params"`
				}
				if json.Unmarshal(o.MCP.TransformedGatewayRequest.Body, &m) == nil && m.Method == "tools/call" && m.Params.Name == "admin-refund" {
					t.Fatalf("denied tool forwarded: %s", o.MCP.TransformedGatewayRequest.Body)
				}
			}
		}
	})
}

// With a real tenantctx.Verifier and real tokens from the test issuer.
func TestBearerTenantWithVerifier(t *testing.T) {
	t.Parallel()
	iss := tenanttest.NewIssuer(t)
	v := iss.Verifier(t)
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(policyA)), policy.MustCompile([]byte(policyB)))
	require.NoError(t, err)
	g, err := gateway.New(gateway.Config{Registry: reg})
	require.NoError(t, err)
	icpt, err := agentcore.New(agentcore.Config{Gateway: g, Tenant: agentcore.BearerTenant(v)})
	require.NoError(t, err)

	in := fixture(t, "request_tools_call_denied.json")
	for _, tc := range []struct {
		token   string
		allowed bool
		status  float64
	}{
		{iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-A", Subject: "alice"}), false, 200},
		{iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-B", Subject: "bob"}), true, 0},
		{iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-B", Alg: "none"}), false, 401},
		{iss.Mint(t, tenanttest.Claims{Tenant: "Tenant-B", ExpiresAt: time.Now().Add(-time.Hour)}), false, 401},
	} {
		out, err := icpt.HandleJSON(context.Background(), []byte(strings.ReplaceAll(string(in), "tenant-a-token", tc.token)))
		require.NoError(t, err)
		var o agentcore.Output
		require.NoError(t, json.Unmarshal(out, &o))
		if tc.allowed {
			assert.NotNil(t, o.MCP.TransformedGatewayRequest)
			assert.Nil(t, o.MCP.TransformedGatewayResponse)
			continue
		}
		require.NotNil(t, o.MCP.TransformedGatewayResponse)
		assert.EqualValues(t, tc.status, o.MCP.TransformedGatewayResponse.StatusCode)
		assert.NotContains(t, string(o.MCP.TransformedGatewayResponse.Body), tc.token)
	}
}

func TestInterceptorBatch(t *testing.T) {
	t.Parallel()
	icpt := newInterceptor(t, nil)
	body := `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}},` +
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin-refund"}},` +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}]`
	in := `{"interceptorInputVersion":"1.0","mcp":{"gatewayRequest":{"headers":{"authorization":"Bearer tenant-a-token"},"body":` + body + `}}}`
	out, err := icpt.HandleJSON(context.Background(), json.RawMessage(in))
	require.NoError(t, err)
	var o agentcore.Output
	require.NoError(t, json.Unmarshal(out, &o))
	require.Nil(t, o.MCP.TransformedGatewayRequest)
	require.NotNil(t, o.MCP.TransformedGatewayResponse)
	var resps []struct {
		ID    int `json:"id"`
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(o.MCP.TransformedGatewayResponse.Body, &resps))
	require.Len(t, resps, 2)
	assert.Equal(t, 1, resps[0].ID)
	assert.Equal(t, agentcore.CodeBatchRefused, resps[0].Error.Code)
	assert.Equal(t, 2, resps[1].ID)
	assert.Equal(t, gateway.CodeToolDenied, resps[1].Error.Code)
}
