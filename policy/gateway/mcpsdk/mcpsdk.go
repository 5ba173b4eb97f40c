package mcpsdk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// TokenInfoKey is the auth.TokenInfo.Extra key under which [TokenVerifier]
// stores the *tenantctx.Tenant.
const TokenInfoKey = "tenantkit.tenant"

// Messages of the JSON-RPC errors the middleware returns besides a refused
// call (gateway.CodeToolDenied): a request without a tenant gets
// jsonrpc.CodeInvalidRequest with MessageNoTenant, a registry failure
// jsonrpc.CodeInternalError with MessageUnavailable.
const (
	MessageNoTenant    = "gateway: no tenant"
	MessageUnavailable = "gateway: policy registry unavailable"
)

// Middleware returns an mcp.Middleware that enforces g's decisions on the
// receiving side of a server:
//
//	server.AddReceivingMiddleware(mcpsdk.Middleware(g))
func Middleware(g *gateway.Gateway) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			switch method {
			case "tools/call":
				return handleCall(ctx, g, next, method, req)
			case "tools/list":
				return handleList(ctx, g, next, method, req)
			default:
				return next(ctx, method, req)
			}
		}
	}
}

// TenantFrom returns the tenant of a request as Middleware finds it (see
// the package documentation).
//
// A request that arrived over HTTP (its RequestExtra carries the HTTP
// header) yields only the tenant that [TokenVerifier] stored in its
// TokenInfo: the context the SDK passes with it is the session's, derived
// from the request that created the session, and may belong to another
// user or tenant. Only requests from other transports (in-memory, stdio,
// where the caller builds the context) fall back to tenantctx.FromContext.
func TenantFrom(ctx context.Context, req mcp.Request) (*tenantctx.Tenant, bool) {
	if req != nil {
		if ex := req.GetExtra(); ex != nil {
			if ex.TokenInfo != nil {
				t, ok := ex.TokenInfo.Extra[TokenInfoKey].(*tenantctx.Tenant)
				if !ok || t == nil {
					// A TokenInfo from another verifier: no tenant, and
					// never the session's.
					return nil, false
				}
				return t, true
			}
			if ex.Header != nil {
				return nil, false
			}
		}
	}
	return tenantctx.FromContext(ctx)
}

func authorizer(ctx context.Context, g *gateway.Gateway, req mcp.Request) (*gateway.Authorizer, error) {
	t, ok := TenantFrom(ctx, req)
	if !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: MessageNoTenant}
	}
	a, err := g.Authorizer(ctx, t)
	if err != nil {
		if errors.Is(err, tenantctx.ErrNoTenant) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: MessageNoTenant}
		}
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: MessageUnavailable}
	}
	return a, nil
}

func handleCall(ctx context.Context, g *gateway.Gateway, next mcp.MethodHandler, method string, req mcp.Request) (mcp.Result, error) {
	a, err := authorizer(ctx, g, req)
	if err != nil {
		return nil, err
	}
	name := ""
	if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && p != nil {
		name = p.Name
	}
	if d := a.Tool(ctx, name); !d.Allowed {
		return nil, deniedError(d)
	}
	return next(ctx, method, req)
}

func deniedError(d policy.Decision) error {
	data, _ := json.Marshal(gateway.DeniedData{Reason: d.Reason, PolicyID: d.PolicyID}) // strings always marshal
	return &jsonrpc.Error{
		Code:    gateway.CodeToolDenied,
		Message: gateway.ToolDeniedMessage,
		Data:    data,
	}
}

func handleList(ctx context.Context, g *gateway.Gateway, next mcp.MethodHandler, method string, req mcp.Request) (mcp.Result, error) {
	a, err := authorizer(ctx, g, req)
	if err != nil {
		return nil, err
	}
	res, err := next(ctx, method, req)
	if err != nil {
		return res, err
	}
	lr, ok := res.(*mcp.ListToolsResult)
	if !ok || lr == nil {
		// Not a result this middleware can filter: show nothing.
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "gateway: unexpected tools/list result"}
	}
	out := *lr // the SDK may share the result's slices: never modify them
	out.Tools = make([]*mcp.Tool, 0, len(lr.Tools))
	for _, tl := range lr.Tools {
		if tl != nil && a.ToolAllowed(ctx, tl.Name) {
			out.Tools = append(out.Tools, tl)
		}
	}
	return &out, nil
}

// TokenVerifier returns an auth.TokenVerifier for auth.RequireBearerToken
// that does not verify anything itself: it reads the tenant that the
// tenantctx middleware (which must run before it and has verified the
// token) put into the request context, and hands it to the SDK as
// TokenInfo, so that [Middleware] sees the tenant of every request. A
// request without a tenant fails with auth.ErrInvalidToken (401).
//
//	h := tenantMW(auth.RequireBearerToken(mcpsdk.TokenVerifier(), nil)(mcpHandler))
func TokenVerifier() auth.TokenVerifier {
	return func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		t, ok := tenantctx.FromContext(r.Context())
		if !ok || t == nil {
			return nil, auth.ErrInvalidToken
		}
		exp := t.ExpiresAt
		if exp.IsZero() {
			// A tenant put into the context by code, not from a token: it
			// lives as long as the request.
			exp = time.Now().Add(time.Minute)
		}
		return &auth.TokenInfo{
			Scopes:     t.Scopes,
			Expiration: exp,
			UserID:     t.ID + "/" + t.Subject,
			Extra:      map[string]any{TokenInfoKey: t},
		}, nil
	}
}
