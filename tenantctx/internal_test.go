package tenantctx

import (
	"encoding/json"
	"hash/maphash"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckJSONObject(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want error
	}{
		{`{}`, nil},
		{` {"a":1,"b":[1,2,{"a":2}],"c":{"a":{"a":null}}} `, nil},
		{`{"a":"x","A":"y"}`, nil},
		{`{"a":1,"a":2}`, ErrDuplicateMember},
		{`{"a":1,"\u0061":2}`, ErrDuplicateMember},
		{`{"x":{"a":1,"b":2,"a":3}}`, ErrDuplicateMember},
		{`{"x":[{"a":1,"a":3}]}`, ErrDuplicateMember},
		{`{"\ud800":1,"\udbff":2}`, ErrDuplicateMember}, // both decode to U+FFFD
		{`{` + manyMembers(40) + `,"k00":2}`, ErrDuplicateMember},
		{`{` + manyMembers(40) + `}`, nil},
		{`[]`, errJSONSyntax},
		{`"a"`, errJSONSyntax},
		{`{"a":1}{}`, errJSONSyntax},
		{`{"a":01}`, errJSONSyntax},
		{`{"a":1,}`, errJSONSyntax},
		{`{"a"}`, errJSONSyntax},
		{`{"a":tru}`, errJSONSyntax},
		{"{\"a\":\"\x01\"}", errJSONSyntax},
		{"{\"a\":\"\xff\"}", errJSONSyntax},
		{`{"a":"\x"}`, errJSONSyntax},
		{`{"a":"\u12"}`, errJSONSyntax},
		{`{"a":"\u12G4"}`, errJSONSyntax},
		{`{"a":"\u00e9\n\"\\\/"}`, nil},
		{`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, errJSONSyntax},
		{`{"a":"`, errJSONSyntax},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			err := checkJSONObject([]byte(tt.in))
			if tt.want == nil {
				require.NoError(t, err)
				require.True(t, json.Valid([]byte(tt.in)))
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `":1`)
	}
	return b.String()
}

func FuzzCheckJSONObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"b":[1,"x",null,true]}}`, `{"\u0061":1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkJSONObject(data)
		if err == nil {
			// Accepted documents are valid JSON objects without duplicates.
			var m map[string]any
			if json.Unmarshal(data, &m) != nil {
				t.Fatalf("accepted invalid json %q", data)
			}
			return
		}
		if err == errJSONSyntax && utf8.Valid(data) && json.Valid(data) {
			var m map[string]any
			if json.Unmarshal(data, &m) == nil && strings.Count(string(data), "[")+strings.Count(string(data), "{") < maxJSONDepth {
				t.Fatalf("rejected a valid object %q", data)
			}
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer  x", "Basic dXNlcjpw", "Bearer ", "Bearer a=b", "Bearer a==", "BEARER a.b-c_d~e+f/g="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := parseAuthorization(h)
		if err != nil {
			if tok != "" {
				t.Fatal("token returned with error")
			}
			return
		}
		if tok == "" || !strings.HasSuffix(h, tok) || !strings.EqualFold(h[:7], "bearer ") || tok[0] == ' ' {
			t.Fatalf("accepted %q as %q", h, tok)
		}
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{h}
		got, err := extractToken(r, false)
		if err != nil || got != tok {
			t.Fatalf("extractToken disagrees: %q %v", got, err)
		}
	})
}

func TestTokenCacheCollisionNeverServesOtherToken(t *testing.T) {
	t.Parallel()
	c := newTokenCache(16, time.Hour)
	now := time.Unix(1000, 0)
	victim := &Tenant{ID: "victim", ExpiresAt: now.Add(time.Hour)}
	c.put("token-A", victim, now)
	// Plant token A's entry under token B's hash, as a collision would.
	h := maphash.String(c.seed, "token-B")
	sh := &c.shards[h%cacheShards]
	sh.m[h] = &cacheEntry{token: "token-A", tenant: victim, expires: now.Add(time.Hour).UnixNano()}
	assert.Nil(t, c.get("token-B", now))
	assert.Same(t, victim, c.get("token-A", now))
	assert.Nil(t, c.get("token-A", now.Add(time.Hour)), "expired at exp")
}

func TestTokenCacheGetDoesNotAllocate(t *testing.T) {
	c := newTokenCache(16, time.Hour)
	now := time.Unix(1000, 0)
	tok := strings.Repeat("x", 800)
	c.put(tok, &Tenant{ID: "t", ExpiresAt: now.Add(time.Hour)}, now)
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	allocs := testing.AllocsPerRun(100, func() {
		raw, err := extractToken(r, false)
		if err != nil || c.get(raw, now) == nil {
			t.Fatal("miss")
		}
	})
	assert.Zero(t, allocs)
}

func TestCacheMaxAge(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cc, age string
		want    time.Duration
		ok      bool
	}{
		{"", "", 0, false},
		{"public", "", 0, false},
		{"public, max-age=300", "", 300 * time.Second, true},
		{"MAX-AGE=60", "", time.Minute, true},
		{"max-age=300", "100", 200 * time.Second, true},
		{"max-age=300", "1000", 0, true},
		{"no-store", "", 0, true},
		{"max-age=60, no-cache", "", 0, true},
		{"max-age=-5", "", 0, true},
		{"max-age=abc", "", 0, true},
		{"max-age=99999999999999", "", time.Duration(1<<31) * time.Second, true},
	} {
		h := http.Header{}
		if tt.cc != "" {
			h.Set("Cache-Control", tt.cc)
		}
		if tt.age != "" {
			h.Set("Age", tt.age)
		}
		got, ok := cacheMaxAge(h)
		assert.Equal(t, tt.ok, ok, tt.cc)
		assert.Equal(t, tt.want, got, tt.cc)
	}
}

func TestConstantTimeEqual(t *testing.T) {
	t.Parallel()
	a := strings.Repeat("abcdefghij", 70) + "xyz"
	for i := range len(a) {
		b := []byte(a)
		b[i] ^= 1
		assert.False(t, constantTimeEqual(a, string(b)), i)
	}
	assert.True(t, constantTimeEqual(a, strings.Clone(a)))
	assert.True(t, constantTimeEqual("", ""))
	assert.False(t, constantTimeEqual(a, a[:len(a)-1]))
}
