package agentcore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/internal/rpc"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// CodeBatchRefused is the JSON-RPC error code given to the requests of a
// batch that was not forwarded because another call in it was refused.
const CodeBatchRefused = -32031

// MessageBatchRefused is the message of a CodeBatchRefused error.
const MessageBatchRefused = "gateway: batch not forwarded: it contains a tool call that is not permitted"

// Version is the only interceptorInputVersion and interceptorOutputVersion
// this package speaks.
const Version = "1.0"

// Errors.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("agentcore: invalid configuration")
	// ErrInput reports an interceptor input this package cannot handle
	// (malformed JSON, wrong version, no mcp.gatewayRequest).
	ErrInput = errors.New("agentcore: invalid interceptor input")
	// ErrNoToken reports a gateway request without a bearer token (or
	// without headers: set passRequestHeaders to true).
	ErrNoToken = errors.New("agentcore: no bearer token in gateway request")
)

// Input is the event the gateway sends to an interceptor Lambda.
type Input struct {
	InterceptorInputVersion string    `json:"interceptorInputVersion"`
	MCP                     *MCPInput `json:"mcp"`
}

// MCPInput is the "mcp" member of an Input.
type MCPInput struct {
	// RawGatewayRequest holds the request body as the client sent it.
	RawGatewayRequest *RawGatewayRequest `json:"rawGatewayRequest,omitempty"`
	// GatewayRequest is the client's request as the gateway parsed it.
	GatewayRequest *GatewayRequest `json:"gatewayRequest,omitempty"`
	// GatewayResponse is the target's response; present only for RESPONSE
	// interceptors.
	GatewayResponse *GatewayResponse `json:"gatewayResponse,omitempty"`
}

// RawGatewayRequest carries the unparsed request body.
type RawGatewayRequest struct {
	Body string `json:"body"`
}

// GatewayRequest is the client's request.
type GatewayRequest struct {
	Path       string            `json:"path,omitempty"`
	HTTPMethod string            `json:"httpMethod,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       json.RawMessage   `json:"body,omitempty"`
}

// Header returns the value of header name, matched case-insensitively.
// When the map holds several spellings of name with different values, the
// header is ambiguous (a map has no order) and Header returns "".
func (r *GatewayRequest) Header(name string) string {
	if r == nil {
		return ""
	}
	val, found := "", false
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			if found && v != val {
				return ""
			}
			val, found = v, true
		}
	}
	return val
}

// GatewayResponse is the target's response (RESPONSE interceptors).
type GatewayResponse struct {
	StatusCode int               `json:"statusCode,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       json.RawMessage   `json:"body,omitempty"`
}

// Output is what an interceptor returns to the gateway.
type Output struct {
	InterceptorOutputVersion string    `json:"interceptorOutputVersion"`
	MCP                      MCPOutput `json:"mcp"`
}

// MCPOutput is the "mcp" member of an Output. A REQUEST interceptor sets
// TransformedGatewayRequest to let the request proceed, or
// TransformedGatewayResponse to answer at once; a RESPONSE interceptor sets
// TransformedGatewayResponse.
type MCPOutput struct {
	TransformedGatewayRequest  *TransformedRequest  `json:"transformedGatewayRequest,omitempty"`
	TransformedGatewayResponse *TransformedResponse `json:"transformedGatewayResponse,omitempty"`
}

// TransformedRequest is the request the gateway sends to the target.
type TransformedRequest struct {
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body"`
}

// TransformedResponse is the response the gateway sends to the client.
type TransformedResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       json.RawMessage   `json:"body"`
}

// TokenVerifier verifies a raw bearer token; *tenantctx.Verifier
// implements it.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, raw string) (*tenantctx.Tenant, error)
}

// BearerTenant returns a Config.Tenant function that verifies the bearer
// token of the gateway request's Authorization header with v. A missing
// header is ErrNoToken; a token v rejects is v's error.
func BearerTenant(v TokenVerifier) func(ctx context.Context, req *GatewayRequest) (*tenantctx.Tenant, error) {
	return func(ctx context.Context, req *GatewayRequest) (*tenantctx.Tenant, error) {
		h := req.Header("Authorization")
		scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return nil, ErrNoToken
		}
		return v.VerifyToken(ctx, strings.TrimSpace(tok))
	}
}

// Config configures an Interceptor.
type Config struct {
	// Gateway makes the decisions. Required.
	Gateway *gateway.Gateway
	// Tenant returns the verified tenant of a gateway request, for example
	// BearerTenant(verifier). Required. An error or a nil tenant is answered
	// with 401.
	Tenant func(ctx context.Context, req *GatewayRequest) (*tenantctx.Tenant, error)
}

// Interceptor is a REQUEST and RESPONSE interceptor. It is safe for
// concurrent use.
type Interceptor struct {
	g      *gateway.Gateway
	tenant func(context.Context, *GatewayRequest) (*tenantctx.Tenant, error)
}

// New returns an Interceptor for cfg.
func New(cfg Config) (*Interceptor, error) {
	if cfg.Gateway == nil {
		return nil, fmt.Errorf("%w: Gateway is required", ErrConfig)
	}
	if cfg.Tenant == nil {
		return nil, fmt.Errorf("%w: Tenant is required", ErrConfig)
	}
	return &Interceptor{g: cfg.Gateway, tenant: cfg.Tenant}, nil
}

// HandleJSON is Handle on raw JSON, for lambda.Start:
//
//	lambda.Start(icpt.HandleJSON)
func (i *Interceptor) HandleJSON(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	var in Input
	if err := json.Unmarshal(event, &in); err != nil {
		return nil, fmt.Errorf("%w: malformed json", ErrInput)
	}
	out, err := i.Handle(ctx, &in)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// Handle runs the interceptor on in. It returns an error only for input it
// cannot interpret (ErrInput); every policy outcome, including failures to
// find the tenant or its policy, is an Output that fails closed.
func (i *Interceptor) Handle(ctx context.Context, in *Input) (*Output, error) {
	if in == nil || in.InterceptorInputVersion != Version {
		return nil, fmt.Errorf("%w: unsupported interceptorInputVersion", ErrInput)
	}
	if in.MCP == nil || in.MCP.GatewayRequest == nil {
		return nil, fmt.Errorf("%w: no mcp.gatewayRequest", ErrInput)
	}
	req := in.MCP.GatewayRequest
	resp := in.MCP.GatewayResponse

	msgs, batch, perr := parseRequest(in.MCP)
	if perr != nil {
		return answer(http.StatusBadRequest, rpc.ErrorResponse(nil, rpc.ErrorObject{Code: rpc.CodeInvalidRequest, Message: "gateway: invalid request"})), nil
	}
	inspect := false
	for _, m := range msgs {
		if m.Method == rpc.MethodToolsCall || m.Method == rpc.MethodToolsList {
			inspect = true
		}
	}
	if !inspect {
		return passThrough(req, resp), nil
	}

	t, err := i.tenant(ctx, req)
	if err != nil || t == nil {
		return answer(http.StatusUnauthorized, rpc.ErrorResponse(firstID(msgs), rpc.ErrorObject{Code: rpc.CodeInvalidRequest, Message: "gateway: unauthorized"})), nil
	}
	a, err := i.g.Authorizer(ctx, t)
	if err != nil {
		return answer(http.StatusServiceUnavailable, rpc.ErrorResponse(firstID(msgs), rpc.ErrorObject{Code: rpc.CodeInternalError, Message: "gateway: policy registry unavailable"})), nil
	}

	// The gateway either forwards a request or answers it: a batch with a
	// refused call is answered whole, each other request in it with
	// CodeBatchRefused, so that the client gets a response for every id.
	answers := make([][]byte, len(msgs))
	refused := false
	lists := map[string]struct{}{}
	for k, m := range msgs {
		switch m.Method {
		case rpc.MethodToolsCall:
			if d := a.Tool(ctx, m.Tool); !d.Allowed {
				answers[k] = gateway.DeniedResponse(m.ID, d)
				refused = true
			}
		case rpc.MethodToolsList:
			lists[m.IDKey] = struct{}{}
		}
	}
	if refused {
		var out [][]byte
		for k, m := range msgs {
			switch {
			case answers[k] != nil:
				out = append(out, answers[k])
			case m.Method != "" && m.ID != nil:
				out = append(out, rpc.ErrorResponse(m.ID, rpc.ErrorObject{Code: CodeBatchRefused, Message: MessageBatchRefused}))
			}
		}
		body := out[0]
		if batch {
			body = join(out)
		}
		return answer(http.StatusOK, body), nil
	}
	if resp == nil {
		return passThrough(req, resp), nil
	}
	// Every tools list in the answer is filtered, not only the responses
	// to this request's tools/list ids: a list under another id (or in
	// the answer to a call) must not reach the client unfiltered.
	body, err := filterResponseBody(resp.Body, lists, func(name string) bool { return a.ToolAllowed(ctx, name) })
	if err != nil {
		return answer(http.StatusBadGateway, rpc.ErrorResponse(firstID(msgs), rpc.ErrorObject{Code: rpc.CodeInternalError, Message: "gateway: malformed tools/list result"})), nil
	}
	return &Output{InterceptorOutputVersion: Version, MCP: MCPOutput{
		TransformedGatewayResponse: &TransformedResponse{StatusCode: statusOr200(resp.StatusCode), Headers: resp.Headers, Body: body},
	}}, nil
}

// parseRequest reads the JSON-RPC messages of the request strictly: from the
// parsed body, and also from the raw body when present. The tool names of
// both must agree; otherwise the gateway's parser and ours read different
// things from the same bytes.
func parseRequest(m *MCPInput) ([]rpc.Message, bool, error) {
	msgs, batch, err := rpc.ParseBody(m.GatewayRequest.Body)
	if err != nil {
		return nil, false, err
	}
	if m.RawGatewayRequest == nil || m.RawGatewayRequest.Body == "" {
		return msgs, batch, nil
	}
	raw, rawBatch, err := rpc.ParseBody([]byte(m.RawGatewayRequest.Body))
	if err != nil {
		return nil, false, err
	}
	if rawBatch != batch || len(raw) != len(msgs) {
		return nil, false, rpc.ErrInvalid
	}
	for k := range raw {
		if raw[k].Method != msgs[k].Method || raw[k].Tool != msgs[k].Tool || raw[k].IDKey != msgs[k].IDKey {
			return nil, false, rpc.ErrInvalid
		}
	}
	return msgs, batch, nil
}

func firstID(msgs []rpc.Message) json.RawMessage {
	if len(msgs) == 1 {
		return msgs[0].ID
	}
	return nil
}

func statusOr200(code int) int {
	if code == 0 {
		return http.StatusOK
	}
	return code
}

func passThrough(req *GatewayRequest, resp *GatewayResponse) *Output {
	if resp != nil {
		return &Output{InterceptorOutputVersion: Version, MCP: MCPOutput{
			TransformedGatewayResponse: &TransformedResponse{StatusCode: statusOr200(resp.StatusCode), Headers: resp.Headers, Body: resp.Body},
		}}
	}
	return &Output{InterceptorOutputVersion: Version, MCP: MCPOutput{
		TransformedGatewayRequest: &TransformedRequest{Headers: forwardHeaders(req.Headers), Body: req.Body},
	}}
}

// credentialHeaders are never handed back to the gateway for the target:
// the headers an interceptor returns may be propagated to it, and the
// caller's token must not reach another audience (the gateway's outbound
// authorization configuration supplies the target's credentials).
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// forwardHeaders returns h without credentialHeaders (matched
// case-insensitively; the gateway may pass names in lower case).
func forwardHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
next:
	for k, v := range h {
		for _, c := range credentialHeaders {
			if strings.EqualFold(k, c) {
				continue next
			}
		}
		out[k] = v
	}
	return out
}

func answer(status int, body []byte) *Output {
	return &Output{InterceptorOutputVersion: Version, MCP: MCPOutput{
		TransformedGatewayResponse: &TransformedResponse{
			StatusCode: status,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       body,
		},
	}}
}

func join(elems [][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for k, e := range elems {
		if k > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

var errNoBody = errors.New("agentcore: no response body to filter")

// filterResponseBody filters the tools/list responses (by id) and every
// other message carrying a tools list in a response body that is one
// JSON-RPC message or a batch of them.
func filterResponseBody(body []byte, lists map[string]struct{}, allow func(string) bool) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		if len(lists) > 0 {
			// The gateway excluded the body (payloadFilter) and would
			// forward the target's original, unfiltered list.
			return nil, errNoBody
		}
		return body, nil
	}
	elems, isArray, err := rpc.Split(body)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(elems))
	for k, e := range elems {
		fields, filter, err := rpc.ToolsListMessage(e, lists)
		if err != nil {
			return nil, err
		}
		if !filter {
			out[k] = e
			continue
		}
		f, err := rpc.FilterToolsResponse(fields, allow)
		if err != nil {
			return nil, err
		}
		out[k] = f
	}
	if !isArray {
		return out[0], nil
	}
	return join(out), nil
}
