// Package agentcore implements Amazon Bedrock AgentCore Gateway interceptors
// that enforce tenantkit tool-access policies: a REQUEST interceptor that
// refuses tools/call for tools the tenant may not use, and a RESPONSE
// interceptor that filters tools/list results.
//
// # Contract followed
//
// The types mirror the interceptor payloads documented in "Types of
// interceptors" of the Amazon Bedrock AgentCore developer guide
// (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-interceptors-types.html)
// and "Configuration" (gateway-interceptors-configuration.html) for MCP
// targets:
//
//   - input: {"interceptorInputVersion":"1.0","mcp":{"rawGatewayRequest":
//     {"body":"<raw request body>"},"gatewayRequest":{"path","httpMethod",
//     "headers","body"},"gatewayResponse":{"statusCode","headers","body"}}};
//     gatewayResponse is present only for RESPONSE interceptors, headers only
//     when the interceptor is configured with passRequestHeaders: true;
//   - output: {"interceptorOutputVersion":"1.0","mcp":
//     {"transformedGatewayRequest":{"headers","body"},
//     "transformedGatewayResponse":{"statusCode","headers","body"}}}; a
//     REQUEST interceptor that returns transformedGatewayResponse makes the
//     gateway answer with it at once, without calling the target.
//
// [Interceptor.Handle] decides which phase it is in by the presence of
// gatewayResponse, so one Lambda function can be configured for both
// interception points. No AWS Lambda dependency is needed: wire
// [Interceptor.HandleJSON] (or Handle, with its typed structs) into
// lambda.Start.
//
// # Tenant
//
// The gateway passes request headers to the interceptor only when the
// interceptor configuration sets passRequestHeaders to true; this package
// needs them, because the tenant comes from the caller's token. Config.Tenant
// decides; [BearerTenant] verifies the Authorization header's JWT with a
// *tenantctx.Verifier (or anything with its VerifyToken method). Without
// a tenant, or with a registry failure, the interceptor answers on the
// gateway's behalf (401 or 503 with a JSON-RPC error) instead of letting the
// request through: it fails closed, and does not rely on how the gateway
// treats a failing Lambda.
//
// # Decisions
//
// REQUEST: every tools/call in the body (a single message or a batch) is
// decided; if any is refused, nothing reaches the target and the gateway is
// told to answer: the refused calls with JSON-RPC errors of code
// gateway.CodeToolDenied, the other requests of a batch with
// [CodeBatchRefused] (an interceptor can forward a request or answer it, not
// both). The tool name is read strictly (duplicate keys,
// non-canonical keys and invalid tool names are refused) from the raw body
// when the gateway supplies it, and from the parsed body; both must be
// allowed. Other methods pass through unchanged.
//
// RESPONSE: a tools/list result is filtered to the permitted tools,
// keeping nextCursor and ids; so is any other message in the answer whose
// result has a "tools" member, whatever its id. A tools/list answer without
// a body (a payloadFilter excluding RESPONSE_BODY) is answered with 502: the
// gateway would otherwise forward the target's unfiltered body.
//
// A forwarded request's headers never include Authorization,
// Proxy-Authorization or Cookie: headers an interceptor returns may be
// propagated to the target, and the caller's token is not for it. A header
// given twice in different case with different values is ambiguous and
// treated as absent (so such an Authorization header is 401). A tools/call response for a refused tool
// (possible only if the REQUEST interceptor is not configured) is replaced
// by the refusal. Everything else passes through unchanged.
//
// Tool names behind an AgentCore Gateway are "<target>___<tool>". Map them
// to policy resources with gateway.Config.ResourceFor, for example
// func(n string) string { return "agent:tool:" + n }, which yields
// "agent:tool:orders___order-lookup".
package agentcore
