package agentcore_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/agentcore"
)

// A REQUEST interceptor refusing Tenant-A's call of admin-refund. In a
// Lambda function: lambda.Start(icpt.HandleJSON), with
// agentcore.BearerTenant(verifier) where verifier is a *tenantctx.Verifier.
func ExampleInterceptor_HandleJSON() {
	reg, err := policy.NewMemoryRegistry(nil, policy.MustCompile([]byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`)))
	if err != nil {
		panic(err)
	}
	g, err := gateway.New(gateway.Config{Registry: reg})
	if err != nil {
		panic(err)
	}
	icpt, err := agentcore.New(agentcore.Config{Gateway: g, Tenant: agentcore.BearerTenant(fakeVerifier{})})
	if err != nil {
		panic(err)
	}
	event := `{"interceptorInputVersion":"1.0","mcp":{"gatewayRequest":{"path":"/mcp","httpMethod":"POST",
	  "headers":{"Authorization":"Bearer tenant-a-token"},
	  "body":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin-refund"}}}}}`
	out, err := icpt.HandleJSON(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"interceptorOutputVersion":"1.0","mcp":{"transformedGatewayResponse":{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":{"jsonrpc":"2.0","id":1,"error":{"code":-32030,"message":"gateway: tool not permitted","data":{"reason":"Insufficient privileges","policyId":"POL-TENANT-A"}}}}}}
}
