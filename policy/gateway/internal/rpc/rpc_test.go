package rpc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFoldKeyMatchesEqualFold(t *testing.T) {
	t.Parallel()
	words := []string{"name", "NAME", "Name", "nam\u0065", "params", "paramS", "param\u017f", "\u212aey", "key", "KEY",
		"method", "m\u00e9thod", "M\u00c9THOD", "_meta", "", "\u03a3", "\u03c3", "\u03c2", "ǅ", "ǆ", "Ǆ"}
	for _, a := range words {
		for _, b := range words {
			assert.Equal(t, strings.EqualFold(a, b), foldKey(a) == foldKey(b), "%q %q", a, b)
		}
	}
}

func TestObjectFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{`{"a":1,"b":[1,{"a":2,"a":3}]}`, nil}, // nested duplicates are not this object's
		{`{}`, nil},
		{` {"a":1} `, nil},
		{`{"a":1,"a":2}`, ErrDuplicateKey},
		{`{"a":1,"A":2}`, ErrDuplicateKey},
		{`{"\u0061":1,"a":2}`, ErrDuplicateKey},
		{`{"name":1}`, nil},
		{`{"Name":1}`, ErrNonCanonicalKey},
		{`{"a":1}x`, ErrSyntax},
		{`{"a":1}{}`, ErrSyntax},
		{`{"a":}`, ErrSyntax},
		{`{"a" 1}`, ErrSyntax},
		{`[]`, ErrInvalid},
		{`"x"`, ErrInvalid},
		{"{\"a\":\"\xff\"}", ErrSyntax},
		{``, ErrSyntax},
	}
	for _, tt := range tests {
		_, err := ObjectFields([]byte(tt.in), []string{"name"})
		if tt.want == nil {
			assert.NoError(t, err, tt.in)
		} else {
			assert.ErrorIs(t, err, tt.want, tt.in)
		}
	}
	// Many keys take the map path; duplicates are still found.
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; i < 100; i++ {
		sb.WriteString(`"k` + strings.Repeat("x", i) + `":0,`)
	}
	sb.WriteString(`"KXX":1}`)
	_, err := ObjectFields([]byte(sb.String()), nil)
	assert.ErrorIs(t, err, ErrDuplicateKey)
}

func TestIDKey(t *testing.T) {
	t.Parallel()
	ok := map[string]string{`1`: "1", `"1"`: "1", `-7`: "-7", `"a\"b"`: `a"b`, ` 3 `: "3", `"\u00e9"`: "é", `-0`: "0"}
	for in, want := range ok {
		got, err := IDKey([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{``, `null`, `true`, `1.0`, `1e2`, `{}`, `[]`, `"x`, `99999999999999999999`, `01x`} {
		_, err := IDKey([]byte(in))
		assert.ErrorIs(t, err, ErrInvalid, in)
	}
}

func TestErrorResponseNeverBreaksOut(t *testing.T) {
	t.Parallel()
	for _, id := range []string{`"</script><script>"`, `1`, ``, `not json`} {
		b := ErrorResponse(json.RawMessage(id), ErrorObject{Code: -1, Message: "m", Data: map[string]string{"reason": "<b>"}})
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m), "%s", b)
		assert.NotContains(t, string(b), "<")
	}
}

// lenient decodes a message the way a Go server using encoding/json would:
// case-insensitive field names, the last duplicate wins.
type lenient struct {
	Method string `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// firstWins reads method and params.name keeping the first duplicate, as
// some parsers do.
func firstWins(b []byte) (method, name string) {
	var top map[string]json.RawMessage
	_ = json.Unmarshal(b, &top)
	fields, err := ObjectFields(b, nil)
	if err != nil {
		return "", ""
	}
	_ = top
	for _, f := range fields {
		if f.Key == "method" && method == "" {
			_ = json.Unmarshal(f.Value, &method)
		}
		if f.Key == "params" {
			pf, err := ObjectFields(f.Value, nil)
			if err == nil {
				for _, p := range pf {
					if p.Key == "name" && name == "" {
						_ = json.Unmarshal(p.Value, &name)
					}
				}
			}
		}
	}
	return method, name
}

// FuzzParseBody checks that whatever ParseBody accepts, a lenient parser
// reads the same method and tool name from it.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","name":"admin-refund"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order-lookup","Name":"admin-refund"}}`,
		`{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"cursor":"c"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a"}}]`,
		`{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"param\u017f":{"name":"b"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, batch, err := ParseBody(b)
		if err != nil {
			return
		}
		var elems []json.RawMessage
		if batch {
			require.NoError(t, json.Unmarshal(b, &elems))
			require.Len(t, msgs, len(elems))
		} else {
			elems = []json.RawMessage{b}
		}
		for i, m := range msgs {
			var l lenient
			if err := json.Unmarshal(elems[i], &l); err != nil {
				continue // a lenient server would reject it too
			}
			if l.Method != m.Method {
				t.Fatalf("method: strict %q, lenient %q", m.Method, l.Method)
			}
			if m.Method == MethodToolsCall && l.Params.Name != m.Tool {
				t.Fatalf("tool: strict %q, lenient %q", m.Tool, l.Params.Name)
			}
			fm, fn := firstWins(elems[i])
			if fm != m.Method || (m.Method == MethodToolsCall && fn != m.Tool) {
				t.Fatalf("first-wins reading differs: %q %q vs %q %q", fm, fn, m.Method, m.Tool)
			}
		}
	})
}

// FuzzFilterToolsResponse checks that a filtered tools/list response never
// contains a tool the filter refused, as read by a lenient parser.
func FuzzFilterToolsResponse(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ok"},{"name":"secret"}],"nextCursor":"n"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ok","Name":"secret"}]}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[],"Tools":[{"name":"secret"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, fields, ok, err := ResponseID(b)
		if err != nil || !ok {
			return
		}
		out, err := FilterToolsResponse(fields, func(name string) bool { return name == "ok" })
		if err != nil {
			return
		}
		var l struct {
			Result struct {
				Tools []struct {
					Name string `json:"name"`
				} `json:"tools"`
			} `json:"result"`
		}
		if err := json.Unmarshal(out, &l); err != nil {
			t.Fatalf("filtered output is not JSON: %v: %s", err, out)
		}
		for _, tl := range l.Result.Tools {
			if tl.Name != "ok" {
				t.Fatalf("refused tool %q in output %s", tl.Name, out)
			}
		}
	})
}
