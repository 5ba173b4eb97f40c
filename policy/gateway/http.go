package gateway

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// ErrUnmapped is what a [Mapper] returns (possibly wrapped) for a request it
// cannot map to a resource. The middleware answers 403: a request that maps
// to no resource is not allowed.
var ErrUnmapped = errors.New("gateway: request not mapped to a resource")

// Mapper maps an HTTP request to the policy resource it wants to use. It must
// not consume the request body. An error denies the request (403).
type Mapper func(r *http.Request) (resourceType, resource string, err error)

// ErrorBody is the JSON body of every error response the HTTP middlewares
// write (not of JSON-RPC errors). Error is a fixed code: "unauthorized",
// "forbidden", "policy_unavailable", "request_too_large", "bad_request",
// "method_not_allowed" or "bad_gateway".
// Reason and PolicyID come from the policy decision of a 403; they never
// contain request data other than what the policy's own reason contains.
type ErrorBody struct {
	Error    string `json:"error"`
	Reason   string `json:"reason,omitempty"`
	PolicyID string `json:"policyId,omitempty"`
}

// writeError writes an ErrorBody as JSON with status code.
func writeError(w http.ResponseWriter, code int, body ErrorBody) {
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"error":"internal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	if code == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeAuthorizerError answers a failed Gateway.Authorizer: 401 without a
// tenant, 503 when the registry failed. Neither echoes anything.
func writeAuthorizerError(w http.ResponseWriter, err error) {
	if errors.Is(err, tenantctx.ErrNoTenant) {
		writeError(w, http.StatusUnauthorized, ErrorBody{Error: "unauthorized"})
		return
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, ErrorBody{Error: "policy_unavailable"})
}

// HTTP returns middleware that decides every request with the tenant's policy.
//
// The tenant comes from the request context (tenantctx.FromContext), where
// the tenantctx middleware put it; the gateway never reads a tenant from a
// header. The middleware fails closed:
//
//   - no tenant in the context: 401 {"error":"unauthorized"};
//   - the mapper fails: 403 {"error":"forbidden","reason":...};
//   - the registry fails: 503 {"error":"policy_unavailable"} with Retry-After;
//   - the tenant has no policy, the user is not in the tenant (with
//     Config.CheckUserTenant), or the policy denies: 403 with the decision's
//     reason and policy id.
//
// Only an allowed request reaches next. It panics if m is nil (programmer
// error).
func (g *Gateway) HTTP(m Mapper) func(http.Handler) http.Handler {
	if m == nil {
		panic("gateway: HTTP called with a nil Mapper")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, _ := tenantctx.FromContext(r.Context())
			a, err := g.Authorizer(r.Context(), t)
			if err != nil {
				writeAuthorizerError(w, err)
				return
			}
			rt, res, err := m(r)
			if err != nil {
				writeError(w, http.StatusForbidden, ErrorBody{Error: "forbidden", Reason: ErrUnmapped.Error()})
				return
			}
			d := a.Decide(rt, res)
			if g.onDecision != nil {
				g.onDecision(r.Context(), t, rt, res, d)
			}
			if !d.Allowed {
				writeDenied(w, d)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func writeDenied(w http.ResponseWriter, d policy.Decision) {
	writeError(w, http.StatusForbidden, ErrorBody{Error: "forbidden", Reason: d.Reason, PolicyID: d.PolicyID})
}
