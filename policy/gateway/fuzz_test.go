package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// leniently reads what a lenient server would execute from a body.
func leniently(body string) []struct {
	Method string `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
} {
	type msg = struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var batch []msg
	if json.Unmarshal([]byte(body), &batch) == nil {
		return batch
	}
	var one msg
	if json.Unmarshal([]byte(body), &one) == nil {
		return []msg{one}
	}
	return nil
}

// FuzzMCPRequest: whatever the body, the middleware does not panic, and
// nothing it forwards is a call of a tool Tenant-A may not use, as read by a
// lenient (encoding/json: case-insensitive, last duplicate wins) server.
func FuzzMCPRequest(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","name":"admin-refund"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","Name":"admin-refund"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin-refund"}}]`,
		`{"jsonrpc":"2.0","id":"a","method":"tools/list"}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
	} {
		f.Add(s)
	}
	allowed := map[string]bool{"order-lookup": true, "crm-search": true}
	g := newGateway(f, gateway.Config{})
	f.Fuzz(func(t *testing.T, body string) {
		up := &upstream{}
		post(t, g.MCP(up), tenantA(), body)
		for _, fwd := range up.seen() {
			for _, m := range leniently(fwd) {
				if strings.EqualFold(m.Method, "tools/call") && !allowed[m.Params.Name] {
					t.Fatalf("forwarded a call of %q: %s", m.Params.Name, fwd)
				}
			}
		}
	})
}

// sseData parses an event stream as a browser would (CRLF, LF and CR line
// ends) and returns each dispatched event's data.
func sseData(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []string
	var data []string
	has := false
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if i == len(lines)-1 {
			break // no line terminator: not a complete line
		}
		if line == "" {
			if has {
				out = append(out, strings.Join(data, "\n"))
			}
			data, has = nil, false
			continue
		}
		if line[0] == '{' || line[0] == '[' {
			// A lenient client might decode a bare JSON line.
			data = append(data, line)
			has = true
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		// A lenient client: any case, white space and a stray BOM around
		// the field name.
		if strings.EqualFold(strings.TrimSpace(strings.ReplaceAll(field, "\ufeff", "")), "data") {
			data = append(data, value)
			has = true
		}
	}
	return out
}

// FuzzMCPSSEResponse: whatever event stream the upstream answers a
// tools/list (or a GET) with, no event reaching the client carries a
// forbidden tool in the tools of any message, whatever its id, as read by a
// lenient client.
func FuzzMCPSSEResponse(f *testing.F) {
	f.Add("id: 1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"tools\":[{\"name\":\"admin-refund\"},{\"name\":\"order-lookup\"}]}}\n\n")
	f.Add("data: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":5,\"result\":{\"tools\":[{\"name\":\"admin-refund\"}]}}\r\n\r\n")
	f.Add("data: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"tools\":[]},\"result\":{\"tools\":[{\"name\":\"admin-refund\"}]}}\r\r")
	f.Add(": comment\n\ndata:\n\n")
	g := newGateway(f, gateway.Config{})
	f.Fuzz(func(t *testing.T, stream string) {
		up := &upstream{respond: sseReply(stream)}
		w := post(t, g.MCP(up), tenantA(), `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`)
		checkSSE(t, w.Body.String())
		r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		w = httptest.NewRecorder()
		g.MCP(up).ServeHTTP(w, r.WithContext(tenantctx.NewContext(r.Context(), tenantA())))
		checkSSE(t, w.Body.String())
	})
}

func checkSSE(t *testing.T, body string) {
	t.Helper()
	{
		for _, data := range sseData(body) {
			var resps []json.RawMessage
			if json.Unmarshal([]byte(data), &resps) != nil {
				resps = []json.RawMessage{json.RawMessage(data)}
			}
			for _, r := range resps {
				var m struct {
					ID     any `json:"id"`
					Result struct {
						Tools []struct {
							Name string `json:"name"`
						} `json:"tools"`
					} `json:"result"`
				}
				if json.Unmarshal(r, &m) != nil {
					continue
				}
				for _, tl := range m.Result.Tools {
					if tl.Name != "order-lookup" && tl.Name != "crm-search" {
						t.Fatalf("tool %q leaked in %q", tl.Name, body)
					}
				}
			}
		}
	}
}
