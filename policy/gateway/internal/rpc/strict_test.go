package rpc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ObjectFields reads objects through internal/strictjson: keys are compared
// unescaped and case-folded as encoding/json folds them, and values come
// back trimmed.
func TestObjectFieldsStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{"{\"key\":1,\"\u212aey\":2}", ErrDuplicateKey},       // Kelvin sign
		{`{"key":1,"\u212aey":2}`, ErrDuplicateKey},           // escaped Kelvin sign
		{"{\"params\":1,\"param\u017f\":2}", ErrDuplicateKey}, // long s
		{`{"na\u004De":1}`, ErrNonCanonicalKey},
		{`{"name":1,"x":{"name":1,"NAME":2}}`, nil},
		{`{"a":NaN}`, ErrSyntax},
		{`{"a":1,}`, ErrSyntax},
		{"\ufeff{}", ErrSyntax},
		{`{"a":"\ud800"}`, nil}, // lone surrogate escapes are JSON
		{`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, ErrSyntax},
		{`null`, ErrInvalid},
	}
	for _, tt := range tests {
		_, err := ObjectFields([]byte(tt.in), []string{"name"})
		if tt.want == nil {
			assert.NoError(t, err, tt.in)
		} else {
			assert.ErrorIs(t, err, tt.want, tt.in)
		}
	}

	fields, err := ObjectFields([]byte(` { "method" : "tools/call" , "p\u0061rams" : { "a" : 1 } } `), envelopeKeys)
	require.NoError(t, err)
	assert.Equal(t, []Field{{Key: "method", Value: []byte(`"tools/call"`)}, {Key: "params", Value: []byte(`{ "a" : 1 }`)}}, fields)
}
