// Package rpc is a strict reader of the parts of JSON-RPC 2.0 messages that
// the tool gateway makes decisions on.
//
// It is deliberately stricter than the servers it protects: a message whose
// envelope or params object repeats a key (exactly, or up to Unicode case
// folding, which encoding/json struct decoding treats as the same field), or
// spells a known key in a non-canonical case, is rejected. Otherwise the
// gateway and the upstream server could read different values from the same
// bytes, and a denied tool could slip through under an allowed one's name.
package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
	"github.com/tenantkit/tenantkit/internal/strictjson"
)

// JSON-RPC 2.0 error codes used by the gateway.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// Errors returned by the parsers. They never contain input bytes.
var (
	// ErrSyntax reports input that is not well-formed JSON (or not UTF-8).
	ErrSyntax = errors.New("rpc: malformed json")
	// ErrDuplicateKey reports an object that repeats a key, exactly or up to
	// case folding.
	ErrDuplicateKey = errors.New("rpc: duplicate object key")
	// ErrNonCanonicalKey reports a known key spelled in another case.
	ErrNonCanonicalKey = errors.New("rpc: non-canonical object key")
	// ErrInvalid reports well-formed JSON that is not a valid message.
	ErrInvalid = errors.New("rpc: invalid message")
)

// Field is one member of a JSON object, in input order.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Known keys, by object kind. A key that folds to one of these but is not
// spelled exactly like it is rejected.
var (
	envelopeKeys   = []string{"jsonrpc", "id", "method", "params", "result", "error"}
	callParamsKeys = []string{"name", "arguments", "_meta", "task", "inputResponses", "requestState"}
	listParamsKeys = []string{"cursor", "_meta"}
	listResultKeys = []string{"tools", "nextCursor", "_meta"}
	toolKeys       = []string{"name"}
)

// ObjectFields returns the members of the JSON object b in order. It fails
// when b is not exactly one well-formed, UTF-8 JSON object (trailing data is
// an error), when a key repeats up to Unicode simple case folding, or when a
// key folds to one of known without being spelled exactly like it. Values
// are sub-slices of b. Nested objects are not this object's: they may
// repeat keys.
func ObjectFields(b []byte, known []string) ([]Field, error) {
	return objectFields(b, known)
}

// objectFields is ObjectFields; the parsers below call it on values of an
// object it has already returned, which are checked again.
func objectFields(b []byte, known []string) ([]Field, error) {
	fields := make([]Field, 0, 4)
	err := strictjson.Members(b, strictjson.Options{FoldCase: true}, func(name, value []byte) error {
		key := intern(name)
		for _, k := range known {
			if key != k && strings.EqualFold(key, k) {
				return ErrNonCanonicalKey
			}
		}
		fields = append(fields, Field{Key: key, Value: value})
		return nil
	})
	switch {
	case err == nil:
		return fields, nil
	case errors.Is(err, ErrNonCanonicalKey):
		return nil, ErrNonCanonicalKey
	case errors.Is(err, strictjson.ErrDuplicateMember):
		return nil, ErrDuplicateKey
	case errors.Is(err, strictjson.ErrNotObject):
		return nil, ErrInvalid
	default:
		return nil, ErrSyntax
	}
}

// The scanners below assume valid JSON (checked by json.Valid first); they
// split arrays, whose elements are then read by objectFields.

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j
	}
}

// decodeString decodes a JSON string token.
func decodeString(tok []byte) (string, error) {
	if len(tok) < 2 || tok[0] != '"' {
		return "", ErrInvalid
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return intern(tok[1 : len(tok)-1]), nil
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", ErrSyntax
	}
	return s, nil
}

// intern returns the constant for the keys and methods the gateway reads
// on every message, so that reading them does not allocate.
func intern(b []byte) string {
	switch string(b) { // no allocation: the compiler compares in place
	case "jsonrpc":
		return "jsonrpc"
	case "2.0":
		return "2.0"
	case "id":
		return "id"
	case "method":
		return "method"
	case "params":
		return "params"
	case "result":
		return "result"
	case "error":
		return "error"
	case "name":
		return "name"
	case "arguments":
		return "arguments"
	case "_meta":
		return "_meta"
	case "cursor":
		return "cursor"
	case "tools":
		return "tools"
	case "nextCursor":
		return "nextCursor"
	case MethodToolsCall:
		return MethodToolsCall
	case MethodToolsList:
		return MethodToolsList
	}
	return string(b)
}

// Split returns the elements of a JSON array, or the value itself when it
// is not an array. b must be one well-formed JSON value.
func Split(b []byte) (elems [][]byte, isArray bool, err error) {
	if !json.Valid(b) {
		return nil, false, ErrSyntax
	}
	return split(b), bytes.TrimSpace(b)[0] == '[', nil
}

func split(b []byte) [][]byte {
	i := skipWS(b, 0)
	if b[i] != '[' {
		return [][]byte{bytes.TrimSpace(b)}
	}
	var elems [][]byte
	i++
	for {
		i = skipWS(b, i)
		if b[i] == ']' {
			return elems
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
		}
		end := skipValue(b, i)
		elems = append(elems, b[i:end])
		i = end
	}
}

// foldKey maps s to a canonical representative of its case-folding class:
// two strings are strings.EqualFold-equal exactly when their fold keys are
// equal.
func foldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// The smallest member of an ASCII letter's folding orbit is its
		// upper-case form (also for k and s, whose orbits include U+212A
		// and U+017F), matching the loop below.
		return strings.ToUpper(s)
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		sb.WriteRune(m)
	}
	return sb.String()
}

// IDKey returns the canonical key of a JSON-RPC id token: the decoded string
// of a string id, the decimal form of an integer id. String "1" and number 1
// map to the same key on purpose, so that a response can never be matched to
// the wrong request by a type change. Null, fractions, exponents, integers
// outside int64, booleans, arrays and objects are ErrInvalid.
func IDKey(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", ErrInvalid
	}
	switch c := raw[0]; {
	case c == '"':
		if !json.Valid(raw) {
			return "", ErrInvalid
		}
		s, err := decodeString(raw)
		if err != nil {
			return "", ErrInvalid
		}
		return s, nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return "", ErrInvalid
		}
		if n == 0 {
			return "0", nil // "-0"
		}
		return string(raw), nil // JSON integers have one spelling
	default:
		return "", ErrInvalid
	}
}

// Message is what the gateway needs to know about one client-to-server
// JSON-RPC message.
type Message struct {
	// Raw is the message as received.
	Raw json.RawMessage
	// ID is the raw id token (validated), or nil when the message has none.
	ID json.RawMessage
	// IDKey is the canonical key of ID (see [IDKey]); empty without an id.
	IDKey string
	// Method is the method of a request or notification; empty for a response.
	Method string
	// Tool is params.name of a tools/call request.
	Tool string
}

// Methods the gateway inspects.
const (
	MethodToolsCall = "tools/call"
	MethodToolsList = "tools/list"
)

// ParseMessage parses one JSON-RPC message object strictly.
func ParseMessage(b []byte) (Message, error) {
	return parseMessage(b)
}

func parseMessage(b []byte) (Message, error) {
	fields, err := objectFields(b, envelopeKeys)
	if err != nil {
		return Message{}, err
	}
	m := Message{Raw: b}
	var params json.RawMessage
	hasMethod := false
	for _, f := range fields {
		switch f.Key {
		case "id":
			m.ID = bytes.TrimSpace(f.Value)
			k, err := IDKey(m.ID)
			if err != nil {
				return Message{}, err
			}
			m.IDKey = k
		case "method":
			if f.Value[0] != '"' {
				return Message{}, ErrInvalid
			}
			if m.Method, err = decodeString(f.Value); err != nil {
				return Message{}, ErrInvalid
			}
			// Method names are case-sensitive, but a server that routes
			// them leniently (trimming, folding) must not be handed a tool
			// call the gateway did not recognise as one. MCP method names
			// are visible ASCII; anything else is refused.
			if !oauthsyntax.VSChars(m.Method) {
				return Message{}, ErrInvalid
			}
			if m.Method != MethodToolsCall && m.Method != MethodToolsList &&
				(foldKey(m.Method) == foldKey(MethodToolsCall) || foldKey(m.Method) == foldKey(MethodToolsList)) {
				return Message{}, ErrNonCanonicalKey
			}
			hasMethod = true
		case "params":
			params = f.Value
		}
	}
	if !hasMethod {
		if m.ID == nil {
			return Message{}, ErrInvalid // neither request nor response
		}
		return m, nil
	}
	switch m.Method {
	case MethodToolsCall:
		if m.ID == nil {
			return Message{}, ErrInvalid // a tool call must be a request
		}
		if params == nil {
			return Message{}, ErrInvalid
		}
		pf, err := objectFields(params, callParamsKeys)
		if err != nil {
			return Message{}, err
		}
		found := false
		for _, f := range pf {
			if f.Key == "name" {
				if f.Value[0] != '"' {
					return Message{}, ErrInvalid
				}
				if m.Tool, err = decodeString(f.Value); err != nil {
					return Message{}, ErrInvalid
				}
				found = true
			}
		}
		if !found || m.Tool == "" {
			return Message{}, ErrInvalid
		}
	case MethodToolsList:
		if m.ID == nil {
			return Message{}, ErrInvalid
		}
		if len(params) != 0 && !bytes.Equal(params, []byte("null")) {
			if _, err := objectFields(params, listParamsKeys); err != nil {
				return Message{}, err
			}
		}
	}
	return m, nil
}

// ParseBody parses a POST body: one message object or a non-empty batch
// array of them. Ids of requests must be unique within the body.
func ParseBody(b []byte) (msgs []Message, batch bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, false, ErrSyntax
	}
	if b[0] != '[' { // parseMessage checks the whole object
		m, err := parseMessage(b)
		if err != nil {
			return nil, false, err
		}
		return []Message{m}, false, nil
	}
	if !utf8.Valid(b) || !json.Valid(b) { // before split, which assumes it
		return nil, false, ErrSyntax
	}
	elems := split(b)
	if len(elems) == 0 {
		return nil, true, ErrInvalid
	}
	msgs = make([]Message, 0, len(elems))
	seen := make(map[string]struct{}, len(elems))
	for _, e := range elems {
		m, err := parseMessage(e)
		if err != nil {
			return nil, true, err
		}
		if m.ID != nil && m.Method != "" {
			if _, dup := seen[m.IDKey]; dup {
				return nil, true, ErrInvalid
			}
			seen[m.IDKey] = struct{}{}
		}
		msgs = append(msgs, m)
	}
	return msgs, true, nil
}

// ErrorObject is a JSON-RPC error object.
type ErrorObject struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   ErrorObject     `json:"error"`
}

// ErrorResponse encodes a JSON-RPC error response for id (nil means null).
// id must be a token accepted by [IDKey]; it is re-encoded by encoding/json,
// so nothing in it can break out of the JSON document.
func ErrorResponse(id json.RawMessage, e ErrorObject) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, err := json.Marshal(errorResponse{JSONRPC: "2.0", ID: id, Error: e})
	if err != nil {
		// id was not valid JSON: answer with a null id instead.
		b, _ = json.Marshal(errorResponse{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: e})
	}
	return b
}

// ResponseID returns the canonical id key of a server-to-client message
// that is a response (it has an id and no method). ok is false for requests,
// notifications and messages without a valid id; err is set when b is not a
// strictly well-formed object.
func ResponseID(b []byte) (key string, fields []Field, ok bool, err error) {
	fields, err = ObjectFields(b, envelopeKeys)
	if err != nil {
		return "", nil, false, err
	}
	var id json.RawMessage
	for _, f := range fields {
		switch f.Key {
		case "method":
			return "", fields, false, nil
		case "id":
			id = f.Value
		}
	}
	if id == nil {
		return "", fields, false, nil
	}
	key, err = IDKey(id)
	if err != nil {
		return "", fields, false, nil
	}
	return key, fields, true, nil
}

// ToolsListMessage reads a server-to-client message strictly and reports
// whether it carries a tools list that must be filtered: a response (no
// method) whose id key is in pending, whatever its result; or any message
// whose "result" is an object with a "tools" member, whatever its id (a
// response to a request the caller did not see, a replayed response, or a
// response with an odd id must not carry a tools list past the filter).
// err is set when b, or a result object, cannot be read strictly.
func ToolsListMessage(b []byte, pending map[string]struct{}) (fields []Field, filter bool, err error) {
	fields, err = ObjectFields(b, envelopeKeys)
	if err != nil {
		return nil, false, err
	}
	var id, result json.RawMessage
	hasMethod := false
	for _, f := range fields {
		switch f.Key {
		case "method":
			hasMethod = true
		case "id":
			id = f.Value
		case "result":
			result = f.Value
		}
	}
	if !hasMethod && id != nil && len(pending) > 0 {
		if key, err := IDKey(id); err == nil {
			if _, ok := pending[key]; ok {
				return fields, true, nil
			}
		}
	}
	result = bytes.TrimSpace(result)
	if len(result) == 0 || result[0] != '{' {
		return fields, false, nil
	}
	rf, err := objectFields(result, listResultKeys)
	if err != nil {
		return nil, false, err
	}
	for _, f := range rf {
		if f.Key == "tools" {
			return fields, true, nil
		}
	}
	return fields, false, nil
}

// FilterToolsResponse rewrites a tools/list response message, given as its
// strictly parsed fields, keeping only the tools for which allow returns
// true. Every other member (id, nextCursor, _meta, ...) is kept byte for
// byte and in order. An error response is returned unchanged. A result that
// is not a well-formed tools/list result is an error: the caller must not
// forward it.
func FilterToolsResponse(fields []Field, allow func(name string) bool) ([]byte, error) {
	out := make([]Field, len(fields))
	copy(out, fields)
	for i, f := range out {
		if f.Key != "result" {
			continue
		}
		res, err := filterToolsResult(f.Value, allow)
		if err != nil {
			return nil, err
		}
		out[i].Value = res
	}
	return encodeObject(out), nil
}

func filterToolsResult(result []byte, allow func(string) bool) ([]byte, error) {
	rf, err := objectFields(result, listResultKeys)
	if err != nil {
		return nil, err
	}
	found := false
	for i, f := range rf {
		if f.Key != "tools" {
			continue
		}
		found = true
		if f.Value[0] != '[' {
			return nil, ErrInvalid
		}
		tools := split(f.Value)
		var buf bytes.Buffer
		buf.WriteByte('[')
		n := 0
		for _, t := range tools {
			name, err := toolName(t)
			if err != nil || !allow(name) {
				continue // a tool we cannot read unambiguously is hidden
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(bytes.TrimSpace(t))
			n++
		}
		buf.WriteByte(']')
		rf[i].Value = buf.Bytes()
	}
	if !found {
		return nil, ErrInvalid
	}
	return encodeObject(rf), nil
}

func toolName(t []byte) (string, error) {
	tf, err := objectFields(t, toolKeys)
	if err != nil {
		return "", err
	}
	for _, f := range tf {
		if f.Key == "name" {
			if f.Value[0] != '"' {
				return "", ErrInvalid
			}
			return decodeString(f.Value)
		}
	}
	return "", ErrInvalid
}

// encodeObject writes fields back as a JSON object. Keys are re-encoded by
// encoding/json; values are already-validated raw JSON.
func encodeObject(fields []Field) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key) // a string always marshals
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(bytes.TrimSpace(f.Value))
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
