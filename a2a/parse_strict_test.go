package a2a

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The token response reader shares internal/strictjson: one UTF-8 JSON
// object, no repeated top-level member, and a message naming the problem.
func TestParseObjectStrict(t *testing.T) {
	t.Parallel()
	const ok = `"access_token":"abc","token_type":"Bearer"`
	tests := []struct {
		name, in, want string // want "" means accepted
	}{
		{"plain", `{` + ok + `}`, ""},
		{"nested duplicates are not read", `{` + ok + `,"x":{"a":1,"a":2}}`, ""},
		{"duplicate", `{` + ok + `,"access_token":"x"}`, "duplicate member"},
		{"escaped duplicate", `{` + ok + `,"access\u005ftoken":"x"}`, "duplicate member"},
		{"case is not folded", `{` + ok + `,"Access_Token":"x"}`, ""},
		{"empty", ``, "not JSON"},
		{"html", `<html>`, "not JSON"},
		{"array", `[]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"trailing object", `{` + ok + `}{}`, "trailing data after JSON object"},
		{"trailing garbage", `{` + ok + `} x`, "trailing data after JSON object"},
		{"array with trailing data", `[] x`, "not a JSON object"},
		{"truncated", `{` + ok, "malformed JSON"},
		{"trailing comma", `{` + ok + `,}`, "malformed JSON"},
		{"NaN", `{` + ok + `,"expires_in":NaN}`, "malformed JSON"},
		{"invalid UTF-8 in an unread member", `{` + ok + ",\"x\":\"\xff\"}", "malformed JSON"},
		{"invalid UTF-8 names", "{" + ok + ",\"\xff\":1,\"\xfe\":2}", "malformed JSON"},
		{"leading BOM", "\ufeff{" + ok + "}", "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			members, err := parseObject([]byte(tt.in))
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, `"abc"`, string(members["access_token"]))
				return
			}
			require.ErrorIs(t, err, ErrInvalidResponse)
			assert.Nil(t, members)
			assert.Equal(t, ErrInvalidResponse.Error()+": "+tt.want, err.Error())
		})
	}
}
