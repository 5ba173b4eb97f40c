package tenantctx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkJSONObject maps every strictjson failure onto the package's own
// errors, so callers keep seeing ErrDuplicateMember or errJSONSyntax only.
func TestCheckJSONObjectErrorMapping(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}` }
	for _, tt := range []struct {
		name, in string
		want     error
	}{
		{"depth at the limit", deep(maxJSONDepth), nil},
		{"depth over the limit", deep(maxJSONDepth + 1), errJSONSyntax},
		{"invalid UTF-8 outside strings", "{\"a\":1,\xff}", errJSONSyntax},
		{"not an object", `null`, errJSONSyntax},
		{"leading BOM", "\ufeff{}", errJSONSyntax},
		{"NaN", `{"exp":NaN}`, errJSONSyntax},
		{"duplicate past the map threshold", `{` + manyMembers(40) + `,"k39":2}`, ErrDuplicateMember},
		{"case differs", `{"tenant_id":"a","Tenant_id":"b"}`, nil},
		{"escaped duplicate tenant", `{"tenant_id":"a","tenant\u005fid":"b"}`, ErrDuplicateMember},
		{"duplicate in act chain", `{"act":{"sub":"a","act":{"sub":"b","sub":"c"}}}`, ErrDuplicateMember},
		{"syntax error after duplicate", `{"a":1,"a":2,}`, errJSONSyntax},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkJSONObject([]byte(tt.in))
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tt.want, err) // unwrapped, as the callers compare
		})
	}
}
