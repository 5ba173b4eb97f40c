package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway/internal/rpc"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// CodeToolDenied is the JSON-RPC error code of a tools/call the gateway
// refuses. It lies in the range JSON-RPC 2.0 reserves for implementation
// defined server errors (-32000 to -32099) but away from the codes the MCP
// SDKs already give a meaning: -32000 to -32005 (connection closed, request
// timeout, resource not found, client/server closing, rejected), -32020 to
// -32022 and -32042. In particular -32003 would be read by the Go SDK as
// "client is closing" and reported as a closed connection. -32602 (what
// servers answer for an unknown tool) is avoided too, so clients can tell
// "not permitted" from "does not exist".
const CodeToolDenied = -32030

// ToolDeniedMessage is the message of the JSON-RPC error for a refused call.
const ToolDeniedMessage = "gateway: tool not permitted"

// DeniedData is the "data" member of a refused call's JSON-RPC error: the
// decision's reason and policy id. It never contains the request.
type DeniedData struct {
	Reason   string `json:"reason"`
	PolicyID string `json:"policyId,omitempty"`
}

// DeniedResponse returns the JSON-RPC error response the gateway sends for a
// refused tools/call with the raw JSON-RPC id (a string or an integer token;
// nil means null).
func DeniedResponse(id json.RawMessage, d policy.Decision) []byte {
	return rpc.ErrorResponse(id, rpc.ErrorObject{
		Code:    CodeToolDenied,
		Message: ToolDeniedMessage,
		Data:    DeniedData{Reason: d.Reason, PolicyID: d.PolicyID},
	})
}

// tenantHeaderPrefix starts the names of the tenant headers (X-Tenant-ID,
// X-Tenant-Tier, ...) that MCPProxy drops from client requests.
const tenantHeaderPrefix = "X-Tenant-"

var errResponseTooLarge = errors.New("gateway: upstream response too large to filter")

// MCP returns next (an MCP Streamable HTTP endpoint) wrapped in the tool
// gateway. See the package documentation for exactly what is enforced.
func (g *Gateway) MCP(next http.Handler) http.Handler {
	return &mcpHandler{g: g, next: next}
}

// ProxyConfig configures [Gateway.MCPProxy].
type ProxyConfig struct {
	// Target is the URL of the remote MCP endpoint (for example
	// "https://tools.internal/mcp"). Every proxied request goes to exactly
	// this URL, whatever path it arrived on. Required; http or https.
	Target *url.URL
	// Transport performs the upstream requests. Nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Rewrite, if set, runs after the gateway has prepared the outbound
	// request, to add upstream credentials or tenant headers (the tenant is
	// in pr.In.Context()). The gateway strips Authorization, Cookie and
	// Proxy-Authorization before calling it: the user's token is never passed
	// through to another audience.
	Rewrite func(pr *httputil.ProxyRequest)
}

// MCPProxy returns a reverse proxy (httputil.ReverseProxy) to a remote MCP
// server with the tool gateway in front of it. Upstream failures are
// answered with 502 {"error":"bad_gateway"}.
func (g *Gateway) MCPProxy(cfg ProxyConfig) (http.Handler, error) {
	t := cfg.Target
	if t == nil || (t.Scheme != "http" && t.Scheme != "https") || t.Host == "" || t.User != nil || t.Fragment != "" {
		return nil, fmt.Errorf("%w: Target must be an absolute http or https URL without user info or fragment", ErrConfig)
	}
	target := *t
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := target
			pr.Out.URL = &u
			pr.Out.Host = ""
			h := pr.Out.Header
			h.Del("Authorization")
			h.Del("Proxy-Authorization")
			h.Del("Cookie")
			h.Del("Upgrade") // refused by the gateway already; never tunnel
			h.Del("Http2-Settings")
			// The upstream cannot check tenant headers against the
			// (dropped) token: a client must not assert its own tenant.
			for k := range h {
				if len(k) >= len(tenantHeaderPrefix) && strings.EqualFold(k[:len(tenantHeaderPrefix)], tenantHeaderPrefix) {
					delete(h, k)
				}
			}
			if cfg.Rewrite != nil {
				cfg.Rewrite(pr)
			}
			// The gateway must read responses in the clear: let the
			// transport negotiate (and undo) compression itself.
			pr.Out.Header.Del("Accept-Encoding")
		},
		Transport: cfg.Transport,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			writeError(w, http.StatusBadGateway, ErrorBody{Error: "bad_gateway"})
		},
	}
	return g.MCP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(noHijack{w}, r)
	})), nil
}

type mcpHandler struct {
	g    *Gateway
	next http.Handler
}

func writeRPCError(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// methodOverrideHeaders are headers some frameworks read to route a request
// as another method. The gateway decides on r.Method alone, so a request
// carrying one is refused.
var methodOverrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// wantsUpgrade reports whether r asks to switch protocols: an Upgrade
// header, an HTTP2-Settings header (h2c), or "upgrade" in Connection.
func wantsUpgrade(r *http.Request) bool {
	if len(r.Header["Upgrade"]) > 0 || len(r.Header["Http2-Settings"]) > 0 {
		return true
	}
	for _, v := range r.Header["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// noHijack hides every optional interface of a ResponseWriter but Flush,
// so that a handler (httputil.ReverseProxy on a 101 answer) cannot take
// over the connection and tunnel bytes past the gateway.
type noHijack struct{ w http.ResponseWriter }

func (n noHijack) Header() http.Header         { return n.w.Header() }
func (n noHijack) Write(p []byte) (int, error) { return n.w.Write(p) }
func (n noHijack) WriteHeader(code int)        { n.w.WriteHeader(code) }
func (n noHijack) Flush()                      { _ = http.NewResponseController(n.w).Flush() }

// hasBody reports whether r declares a request body.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0
}

func (h *mcpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, ok := tenantctx.FromContext(r.Context())
	if !ok || t == nil {
		writeError(w, http.StatusUnauthorized, ErrorBody{Error: "unauthorized"})
		return
	}
	for _, k := range methodOverrideHeaders {
		if _, ok := r.Header[k]; ok {
			writeError(w, http.StatusBadRequest, ErrorBody{Error: "bad_request"})
			return
		}
	}
	if wantsUpgrade(r) {
		// A switched protocol (h2c, WebSocket) is a raw tunnel to the
		// upstream that no longer passes through the gateway.
		writeError(w, http.StatusBadRequest, ErrorBody{Error: "bad_request"})
		return
	}
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet, http.MethodDelete, http.MethodHead, http.MethodOptions:
		// GET (the server-to-client SSE stream), DELETE (session end) and
		// the others carry no client message to decide on; one with a
		// body is refused, as a lenient server might read it.
		if hasBody(r) {
			writeError(w, http.StatusBadRequest, ErrorBody{Error: "bad_request"})
			return
		}
		if r.Method == http.MethodGet {
			h.serveStream(w, r, t)
			return
		}
		h.next.ServeHTTP(w, r)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, DELETE, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, ErrorBody{Error: "method_not_allowed"})
		return
	}
	if r.ContentLength > h.g.maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: "request_too_large"})
		return
	}
	body, err := readBody(w, r, h.g.maxBody)
	_ = r.Body.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: "request_too_large"})
			return
		}
		writeError(w, http.StatusBadRequest, ErrorBody{Error: "bad_request"})
		return
	}
	msgs, batch, err := rpc.ParseBody(body)
	if err != nil {
		code, msg := rpc.CodeInvalidRequest, "gateway: invalid request"
		if errors.Is(err, rpc.ErrSyntax) {
			code, msg = rpc.CodeParseError, "gateway: parse error"
		}
		writeRPCError(w, http.StatusBadRequest, rpc.ErrorResponse(nil, rpc.ErrorObject{Code: code, Message: msg}))
		return
	}
	if !standardHeadersMatch(r.Header, msgs, batch) {
		writeRPCError(w, http.StatusBadRequest, rpc.ErrorResponse(nil, rpc.ErrorObject{Code: rpc.CodeInvalidRequest, Message: "gateway: invalid request"}))
		return
	}
	inspect := false
	for i := range msgs {
		if m := msgs[i].Method; m == rpc.MethodToolsCall || m == rpc.MethodToolsList {
			inspect = true
			break
		}
	}
	if !inspect {
		h.next.ServeHTTP(w, withBody(r, body))
		return
	}
	ctx := r.Context()
	a, err := h.g.Authorizer(ctx, t)
	if err != nil {
		writeAuthorizerError(w, err)
		return
	}
	var (
		denied [][]byte
		keep   = make([][]byte, 0, len(msgs))
		lists  map[string]struct{}
	)
	for i := range msgs {
		m := &msgs[i]
		switch m.Method {
		case rpc.MethodToolsCall:
			if d := a.Tool(ctx, m.Tool); !d.Allowed {
				denied = append(denied, DeniedResponse(m.ID, d))
				continue
			}
		case rpc.MethodToolsList:
			if lists == nil {
				lists = make(map[string]struct{}, 1)
			}
			lists[m.IDKey] = struct{}{}
		}
		keep = append(keep, m.Raw)
	}
	if len(keep) == 0 {
		// Everything was refused: the upstream never sees the request.
		out := denied[0]
		if batch {
			out = joinArray(denied)
		}
		writeRPCError(w, http.StatusOK, out)
		return
	}
	if len(denied) > 0 {
		body = joinArray(keep) // only a batch can have both
	}
	r2 := withBody(r, body)
	if lists == nil && len(denied) == 0 {
		h.next.ServeHTTP(w, r2)
		return
	}
	fw := h.newFilterWriter(ctx, w, a)
	fw.lists = lists
	fw.tools = lists != nil
	fw.extra = denied
	fw.batch = batch
	h.next.ServeHTTP(fw, r2)
	fw.finish()
}

func (h *mcpHandler) newFilterWriter(ctx context.Context, w http.ResponseWriter, a *Authorizer) *filterWriter {
	fw := &filterWriter{
		w:     w,
		max:   h.g.maxResponse,
		allow: allowFunc(ctx, a),
	}
	fw.sse.max = h.g.maxResponse
	fw.sse.out = w
	fw.sse.process = fw.filterValue
	return fw
}

// serveStream serves a GET: the server-to-client event stream. It carries
// server requests and notifications, and, after a reconnect with
// Last-Event-ID, the replayed events of a POST's stream, tools/list
// results included: every tools list in it is filtered.
func (h *mcpHandler) serveStream(w http.ResponseWriter, r *http.Request, t *tenantctx.Tenant) {
	ctx := r.Context()
	a, err := h.g.Authorizer(ctx, t)
	if err != nil {
		writeAuthorizerError(w, err)
		return
	}
	fw := h.newFilterWriter(ctx, w, a)
	fw.tools = true
	h.next.ServeHTTP(fw, r)
	fw.finish()
}

// MCP standard request headers, which intermediaries and servers may route
// on instead of the body.
const (
	headerMethod = "Mcp-Method"
	headerName   = "Mcp-Name"
)

// standardHeadersMatch reports whether the Mcp-Method and Mcp-Name headers,
// when present, name exactly the method and tool of the body: one value
// each, a single message (not a batch), Mcp-Method equal to its method and,
// for tools/call, Mcp-Name equal to its tool (plain or in the
// "=?base64?...?=" form).
func standardHeadersMatch(h http.Header, msgs []rpc.Message, batch bool) bool {
	methods, names := h.Values(headerMethod), h.Values(headerName)
	if len(methods) == 0 && len(names) == 0 {
		return true
	}
	if batch || len(msgs) != 1 || len(methods) > 1 || len(names) > 1 {
		return false
	}
	m := &msgs[0]
	if len(methods) == 1 && methods[0] != m.Method {
		return false
	}
	if len(names) == 1 && m.Method == rpc.MethodToolsCall {
		n := names[0]
		if n != m.Tool && decodeHeaderValue(n) != m.Tool {
			return false
		}
	}
	return true
}

// decodeHeaderValue decodes the "=?base64?<std base64>?=" form of an MCP
// header value; it returns "" when v is not in that form.
func decodeHeaderValue(v string) string {
	enc, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return ""
	}
	enc, ok = strings.CutSuffix(enc, "?=")
	if !ok {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	return string(b)
}

// readBody reads at most limit bytes of the request body, sized by
// Content-Length when there is one.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	// Nothing may follow the declared length.
	var one [1]byte
	if n, _ := body.Read(one[:]); n != 0 {
		return nil, errors.New("gateway: body longer than Content-Length")
	}
	return buf, nil
}

func allowFunc(ctx context.Context, a *Authorizer) func(string) bool {
	return func(name string) bool { return a.ToolAllowed(ctx, name) }
}

// withBody returns a shallow copy of r reading body; r is not modified.
func withBody(r *http.Request, body []byte) *http.Request {
	r2 := r.WithContext(r.Context())
	br := &bodyReader{}
	br.Reset(body)
	r2.Body = br
	r2.ContentLength = int64(len(body))
	if r.ContentLength != int64(len(body)) && r.Header.Get("Content-Length") != "" {
		r2.Header = r.Header.Clone()
		r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return r2
}

// bodyReader is the replayed request body.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

func joinArray(elems [][]byte) []byte {
	n := 2
	for _, e := range elems {
		n += len(e) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, bytes.TrimSpace(e)...)
	}
	return append(out, ']')
}

// Response modes of filterWriter.
const (
	modeUndecided = iota
	modePass      // not a response the gateway must change
	modeJSON      // application/json, buffered and filtered at the end
	modeSSE       // text/event-stream, filtered event by event
	modeReplace   // 202 with refused calls to report: answer them instead
)

// filterWriter filters the response to one POST: tools/list results for the
// ids in lists, and it merges the refused calls of a batch (extra) into the
// response.
type filterWriter struct {
	w      http.ResponseWriter
	lists  map[string]struct{}
	tools  bool // filter every tools list, not only the responses in lists
	extra  [][]byte
	batch  bool
	max    int64
	allow  func(string) bool
	mode   int
	status int
	buf    bytes.Buffer
	over   bool
	sse    sseFilter
}

func (f *filterWriter) Header() http.Header { return f.w.Header() }

// Unwrap lets http.ResponseController reach deadlines on the real writer.
func (f *filterWriter) Unwrap() http.ResponseWriter { return f.w }

func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// hasCoding reports whether the values of a Content-Encoding or
// Transfer-Encoding header (every line, every comma-separated element) name
// a coding other than the plain ones.
func hasCoding(values []string, plain ...string) bool {
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			ok := false
			for _, p := range plain {
				ok = ok || strings.EqualFold(c, p)
			}
			if !ok {
				return true
			}
		}
	}
	return false
}

func (f *filterWriter) WriteHeader(code int) {
	if f.mode != modeUndecided {
		return
	}
	if code >= 100 && code < 200 {
		f.w.WriteHeader(code)
		return
	}
	h := f.w.Header()
	ct := mediaType(h.Get("Content-Type"))
	encoded := hasCoding(h["Content-Encoding"], "identity") || hasCoding(h["Transfer-Encoding"], "chunked", "identity")
	success := code >= 200 && code < 300
	switch {
	case code == http.StatusAccepted:
		// No response to the POST's requests. With refused calls to
		// report, answer them instead; any body is not forwarded.
		f.mode = modeReplace
		f.status = code
	case success && (ct == "application/json" || ct == "text/event-stream") && encoded:
		// A compressed body cannot be inspected: fail closed.
		f.mode = modeReplace
		f.over = true
	case success && ct == "application/json":
		f.mode = modeJSON
		f.status = code
	case success && ct == "text/event-stream":
		f.mode = modeSSE
		h.Del("Content-Length")
		f.w.WriteHeader(code)
		for _, e := range f.extra {
			_, _ = io.WriteString(f.w, "event: message\ndata: ")
			_, _ = f.w.Write(e)
			_, _ = io.WriteString(f.w, "\n\n")
		}
		f.flush()
	case success && f.tools && code != http.StatusNoContent && code != http.StatusResetContent:
		// A success that is neither JSON nor an event stream cannot be
		// filtered; a lenient client might still read a tools list in it.
		f.mode = modeReplace
		f.over = true
	default:
		f.mode = modePass
		f.w.WriteHeader(code)
	}
}

func (f *filterWriter) Write(p []byte) (int, error) {
	if f.mode == modeUndecided {
		f.WriteHeader(http.StatusOK)
	}
	switch f.mode {
	case modePass:
		return f.w.Write(p)
	case modeJSON:
		if f.over || int64(f.buf.Len()+len(p)) > f.max {
			f.over = true
			return 0, errResponseTooLarge
		}
		return f.buf.Write(p)
	case modeSSE:
		n, err := f.sse.Write(p)
		f.flush()
		return n, err
	default: // modeReplace: the upstream body is not forwarded
		return len(p), nil
	}
}

func (f *filterWriter) flush() {
	_ = http.NewResponseController(f.w).Flush()
}

// Flush implements http.Flusher. A buffered JSON response is only written
// when the handler returns.
func (f *filterWriter) Flush() {
	if f.mode == modePass || f.mode == modeSSE {
		f.flush()
	}
}

// finish writes whatever the mode held back, after the handler returned.
func (f *filterWriter) finish() {
	switch f.mode {
	case modeUndecided, modeReplace:
		if f.over {
			writeError(f.w, http.StatusBadGateway, ErrorBody{Error: "bad_gateway"})
			return
		}
		if len(f.extra) > 0 {
			out := f.extra[0]
			if f.batch {
				out = joinArray(f.extra)
			}
			writeRPCError(f.w, http.StatusOK, out)
			return
		}
		if f.status != 0 {
			f.w.Header().Del("Content-Length")
			f.w.WriteHeader(f.status)
		}
	case modeJSON:
		if f.over {
			writeError(f.w, http.StatusBadGateway, ErrorBody{Error: "bad_gateway"})
			return
		}
		out, err := f.filterBody(f.buf.Bytes())
		if err != nil {
			writeError(f.w, http.StatusBadGateway, ErrorBody{Error: "bad_gateway"})
			return
		}
		f.w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		f.w.WriteHeader(f.status)
		_, _ = f.w.Write(out)
	case modeSSE:
		f.sse.close()
		f.flush()
	}
}

// filterBody filters a whole application/json response and appends the
// refused calls of a batch.
func (f *filterWriter) filterBody(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		if len(f.extra) == 0 {
			return b, nil
		}
		return joinArray(f.extra), nil
	}
	elems, isArray, err := splitValue(b)
	if err != nil {
		return nil, err
	}
	for i, e := range elems {
		out, _, err := f.filterElem(e)
		if err != nil {
			return nil, err
		}
		elems[i] = out
	}
	if !isArray && len(f.extra) == 0 {
		return elems[0], nil
	}
	return joinArray(append(elems, f.extra...)), nil
}

// filterValue filters one JSON value (an SSE event's data). changed is
// false when b is to be forwarded as it was.
func (f *filterWriter) filterValue(b []byte) (out []byte, changed bool, err error) {
	if !f.tools || len(bytes.TrimSpace(b)) == 0 {
		return b, false, nil
	}
	elems, isArray, err := splitValue(b)
	if err != nil {
		return nil, true, err
	}
	anyChanged := false
	for i, e := range elems {
		o, c, err := f.filterElem(e)
		if err != nil {
			return nil, true, err
		}
		elems[i] = o
		anyChanged = anyChanged || c
	}
	if !anyChanged {
		return b, false, nil
	}
	if !isArray {
		return elems[0], true, nil
	}
	return joinArray(elems), true, nil
}

func splitValue(b []byte) (elems [][]byte, isArray bool, err error) {
	return rpc.Split(bytes.TrimSpace(b))
}

// filterElem filters one JSON-RPC message from the server. While tools/list
// responses are expected, a message that cannot be read strictly is an
// error: a lenient client might read a tools/list result out of it.
func (f *filterWriter) filterElem(e []byte) (out []byte, changed bool, err error) {
	if !f.tools {
		return e, false, nil
	}
	fields, filter, err := rpc.ToolsListMessage(e, f.lists)
	if err != nil {
		return nil, true, err
	}
	if !filter {
		return e, false, nil
	}
	out, err = rpc.FilterToolsResponse(fields, f.allow)
	if err != nil {
		var id json.RawMessage
		for _, fl := range fields {
			if fl.Key == "id" {
				id = fl.Value
			}
		}
		return rpc.ErrorResponse(id, rpc.ErrorObject{Code: rpc.CodeInternalError, Message: "gateway: malformed tools/list result"}), true, nil
	}
	return out, true, nil
}
