// Package mcpsdk enforces tool-access policies inside a server built with
// the official Go MCP SDK (github.com/modelcontextprotocol/go-sdk/mcp),
// without parsing HTTP: it is an mcp.Middleware added with
// Server.AddReceivingMiddleware.
//
// # What it enforces
//
//   - tools/call: a tool the tenant may not use is refused with a JSON-RPC
//     error (code gateway.CodeToolDenied) before the tool handler runs.
//   - tools/list: the result is filtered to the tools the tenant may use;
//     nextCursor and the other result fields are kept.
//
// Every other method passes through. Without a tenant, tools/call and
// tools/list fail closed (an error, no tools); when the registry fails they
// fail with an internal error.
//
// # Where the tenant comes from
//
// The SDK's streamable HTTP transport does not hand the context of each HTTP
// request to the middleware: the context it passes is the session's,
// derived from the request that created the session. Per request it passes
// only the HTTP headers and the auth.TokenInfo that auth.RequireBearerToken
// stored. So the middleware looks for the tenant, in order, in
//
//  1. req.GetExtra().TokenInfo.Extra[TokenInfoKey], put there per request by
//     auth.RequireBearerToken with [TokenVerifier] (recommended over HTTP);
//  2. only for requests that did not arrive over HTTP (no header in
//     RequestExtra): the context (tenantctx.FromContext), which is right
//     for in-process transports and for the stdio transport, where the
//     caller builds the context.
//
// A request over HTTP without a TokenVerifier tenant has no tenant and is
// refused: the session's context belongs to whoever created the session, so
// falling back to it would let one tenant's request (reusing a leaked
// session id) be decided with another tenant's policy.
//
// [TokenVerifier] also sets TokenInfo.UserID to "<tenant>/<subject>", so the
// SDK refuses to let one user's session id be used with another user's
// token (its session-hijacking check).
package mcpsdk
