// Package gateway enforces tool-access policies ([policy.Policy]) on real
// tool traffic: "you can't trust the LLM to not use a tool; block it at the
// network layer". It puts the verified tenant from [tenantctx] and the
// tenant's policy from a [policy.Registry] in front of any HTTP API or MCP
// server.
//
// A [Gateway] is built once with [New] and offers:
//
//   - [Gateway.HTTP]: middleware for any HTTP API, with a pluggable [Mapper]
//     from request to (resource type, resource);
//   - [Gateway.MCP]: middleware around an MCP Streamable HTTP handler;
//   - [Gateway.MCPProxy]: a reverse proxy to a remote MCP server;
//   - [Gateway.Authorizer] and [Gateway.DecideTool]: the decisions alone, for
//     other transports. The subpackage mcpsdk enforces the same decisions
//     inside an official Go MCP SDK server, and agentcore implements Amazon
//     Bedrock AgentCore Gateway REQUEST/RESPONSE interceptors.
//
// # Tools and policy resources
//
// A tool name maps to a policy resource of type [policy.ResourceTypeTool]
// through Config.ResourceFor, by default [DefaultResourceFor]:
// "agent:tool:" + name. So the rule
//
//	{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"]}
//
// governs the MCP tool "admin-refund", and "agent:tool:crm-*" all CRM tools.
// Only names accepted by [ValidToolName] (ASCII letters, digits, '_', '-',
// '.', '/'; at most 128 bytes) can be allowed; any other name is refused and
// hidden, so no tool name can carry a '*', a ':' or a control character into
// the policy resource.
//
// # Tenant, user and registry
//
// The tenant is read from the request context (tenantctx.FromContext), where
// the tenantctx JWT middleware put it; never from a header. With
// Config.CheckUserTenant the gateway also asks the registry which tenant the
// token's subject belongs to (user → tenant → policy) and refuses every tool
// when it is not the token's tenant. The registry is asked on every request:
// wrap a slow one in a cache.
//
// Failures are closed. No tenant: 401. The registry fails: 503 (with
// Retry-After), because a transient outage is not a policy decision and
// clients should retry rather than conclude they lack access. No policy for
// the tenant, an unknown or foreign user, or a policy that denies: 403 from
// [Gateway.HTTP], a JSON-RPC error from the MCP gateway. Error bodies are
// small JSON documents ([ErrorBody]) carrying the decision's reason and
// policy id, never request data.
//
// # MCP Streamable HTTP
//
// Only POST carries client messages. GET, DELETE, HEAD and OPTIONS pass
// after the tenant check if they carry no body (a body is 400: a lenient
// server might read it); any other method, including a lower-case "post",
// is 405; a request with a method-override header (X-HTTP-Method-Override,
// X-HTTP-Method, X-Method-Override) is 400, and so is a request to switch
// protocols (Upgrade, HTTP2-Settings, "Connection: upgrade"): an upgraded
// connection (h2c, WebSocket) would be a raw tunnel to the upstream that
// bypasses the gateway ("h2c smuggling"); [Gateway.MCPProxy] additionally
// never lets the reverse proxy take over the client connection. The gateway
// decides on the request line's method alone and refuses what a server
// could route otherwise.
//
// [Gateway.MCP] and [Gateway.MCPProxy] read every POST body (at most
// Config.MaxBodyBytes, else 413) and parse it strictly as one JSON-RPC
// message or a batch. Bodies that are not well-formed UTF-8 JSON, that
// repeat a key in a message or in the params of tools/call and tools/list
// (exactly or up to Unicode case folding, as in
// {"name":"order-lookup","name":"admin-refund"} or "name"/"Name"), that spell
// a known key or a tools method in another case, that carry an id other than
// a string or an int64 integer, a method that is not visible ASCII (so
// that no "tools/call " or look-alike can be normalised into a tools method
// by a lenient server), a tools/call without id, or a batch with repeated
// ids, or whose MCP standard headers (Mcp-Method, Mcp-Name) name another
// method or tool than the body, appear twice, or accompany a batch (an
// intermediary or server routing on the header would act on something the
// gateway did not decide on), are refused with HTTP 400 and a JSON-RPC parse error
// (-32700) or invalid request (-32600) before the upstream sees them: the
// upstream might read a different duplicate than the gateway did.
//
// Then, per message:
//
//   - tools/call of a tool the tenant may not use is answered by the gateway
//     with HTTP 200 and a JSON-RPC error response with the request's id,
//     code [CodeToolDenied] (-32030), message [ToolDeniedMessage] and data
//     [DeniedData] (reason, policy id). The upstream never sees it, so the
//     tool handler never runs.
//   - In a batch, refused calls are removed, the rest is forwarded as a
//     batch, and the refusals are merged into the response: appended to a
//     JSON array, sent as extra events of an event stream, or sent alone
//     (HTTP 200, JSON array) when the upstream answers 202 because only
//     notifications were left.
//   - The response to each tools/list request of the POST (matched by
//     JSON-RPC id; string "1" and number 1 count as the same id) is filtered
//     to the permitted tools, and so is any other message in the response
//     whose result has a "tools" member, whatever its id: a response under
//     an unexpected id, or to a request the gateway did not see, never
//     carries a full list past it. Every other member of the result (nextCursor,
//     _meta) and of the response (id) is kept byte for byte. Both response
//     kinds are handled: application/json is buffered (at most
//     Config.MaxResponseBytes, else 502) and rewritten with a new
//     Content-Length; text/event-stream is parsed event by event (CRLF, LF
//     and CR line ends, multi-line data, a leading byte order mark stripped
//     as clients strip it), each event is flushed as soon as it is complete,
//     an event with a line only a lenient parser would read as data
//     (" data:", "Data:", "data :") or a bare JSON line is dropped, events that are not such a response are forwarded byte
//     for byte, and the rewritten event keeps its id:, event: and retry:
//     lines. A response the gateway cannot read strictly while it expects a
//     tools/list result (duplicate keys, trailing data, a compressed body,
//     a 2xx answer that is neither JSON nor an event stream, an event larger
//     than Config.MaxResponseBytes) is not forwarded: 502, or the event is
//     dropped (the stream ends at an oversized event). A tools/list result
//     whose tools member is malformed is replaced by a JSON-RPC internal
//     error; a tool whose name cannot be read unambiguously is hidden.
//   - Everything else (initialize, ping, notifications, resources/*,
//     prompts/*, responses to server requests) is forwarded unchanged, with
//     the original body bytes when nothing was refused.
//
// Headers pass through untouched, including Mcp-Session-Id and
// MCP-Protocol-Version. DELETE (end of session) passes through after the
// tenant check. GET (the server-to-client event stream) is filtered like a
// POST's stream: it carries server requests and notifications, but after a
// reconnect with Last-Event-ID the server replays a POST's events on it,
// tools/list results included, so every tools list on it is filtered (an
// event larger than Config.MaxResponseBytes ends the stream).
//
// [Gateway.MCPProxy] sends every request to ProxyConfig.Target with
// net/http/httputil.ReverseProxy. It drops Authorization, Cookie and
// Proxy-Authorization, so the user's token is never passed through to the
// MCP server (use ProxyConfig.Rewrite to add the proxy's own credentials),
// every client header whose name starts with "X-Tenant-" (the upstream
// cannot check a tenant header against the dropped token, so a client must
// not assert its own tenant; set tenant headers in Rewrite from the verified
// tenant), and Accept-Encoding, so that responses can be inspected.
//
// # What is not filtered, and why
//
//   - resources/* and prompts/* are not filtered: tool-access policies
//     govern tools (resource type TOOL). Put [Gateway.HTTP] with a custom
//     [Mapper], or your own mcp.Middleware, in front of them if they need
//     policies.
//   - notifications/tools/list_changed is forwarded: it carries no tool
//     names, and the client's next tools/list is filtered.
//   - Server-initiated requests and notifications (sampling, elicitation,
//     logging, progress) on the GET stream or inside a POST's event stream
//     are forwarded: they carry no tool the client could call.
//   - The response stream of a POST without a tools/list request (a
//     tools/call, initialize, resources/read, ...) is not parsed, so that
//     large results stream unbuffered; a server only sends a tools list in
//     answer to tools/list. Put the mcpsdk middleware in the server if you
//     do not trust the server to do so.
//   - Tool names mentioned inside other results (a tool's description, a
//     resource's text) are not rewritten.
//
// # Concurrency and performance
//
// A Gateway and the handlers it returns are safe for concurrent use and
// keep no per-tenant state: each request asks the registry for its own
// tenant's policy. BenchmarkMCPMiddleware measures the middleware alone on a
// tools/call; BenchmarkMCPGateway measures a full call through the official
// SDK client and server with and without the gateway.
package gateway
