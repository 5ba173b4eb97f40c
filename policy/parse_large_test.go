package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An object with many keys is checked for duplicates through a map: every
// duplicate is still reported, and a document of the largest size is read
// in linear time (it took minutes when every key was compared with every
// earlier one).
func TestParseManyKeys(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"policyId":"p","tenantId":"t","rules":[],"x":{`)
	n := 0
	for ; b.Len() < MaxDocumentSize-100; n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%x":0`, n)
	}
	b.WriteString(`,"5":1,"` + fmt.Sprintf("%x", n-1) + `":1}}`)
	start := time.Now()
	_, err := Parse([]byte(b.String()))
	elapsed := time.Since(start)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	msg := err.Error()
	assert.Contains(t, msg, `$.x.5: duplicate field`)
	assert.Contains(t, msg, fmt.Sprintf(`$.x.%x: duplicate field`, n-1))
	assert.Contains(t, msg, `$.x: unknown field`)
	assert.Less(t, elapsed, 30*time.Second, "%d keys", n)

	// Below and just above the map threshold.
	for _, keys := range []int{smallObject, smallObject + 1, smallObject + 2} {
		var sb strings.Builder
		sb.WriteString(`{"policyId":"p","tenantId":"t","rules":[],"x":{`)
		for i := range keys {
			fmt.Fprintf(&sb, `"k%d":0,`, i)
		}
		sb.WriteString(`"k0":1}}`)
		_, err := Parse([]byte(sb.String()))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `$.x.k0: duplicate field`, keys)
	}
}
