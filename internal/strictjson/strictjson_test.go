package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nest(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%03d":%d`, i, i)
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	fold := Options{FoldCase: true}
	obj := Options{RequireObject: true}
	tests := []struct {
		name string
		in   string
		opts Options
		want error // nil: accepted
	}{
		// Well-formed documents.
		{"empty object", `{}`, Options{}, nil},
		{"scalars", `[1,-0,0.5,-1.5e+10,1E-3,"",true,false,null]`, Options{}, nil},
		{"top-level scalar", ` "x" `, Options{}, nil},
		{"top-level number", `12`, Options{}, nil},
		{"white space", " \t\r\n{ \"a\" : [ 1 , 2 ] } \n", Options{}, nil},
		{"same name in sibling objects", `{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`, Options{}, nil},
		{"case differs without fold", `{"a":1,"A":2}`, Options{}, nil},
		{"escapes", `{"a":"\u00e9\n\"\\\/\b\f\r\t"}`, Options{}, nil},
		{"many members", `{` + manyMembers(100) + `}`, Options{}, nil},
		{"many members folded", `{` + manyMembers(100) + `}`, fold, nil},
		{"valid surrogate pair", `{"\ud83d\ude00":1,"x":"\ud83d\ude00"}`, Options{}, nil},
		{"huge numbers", `[1e999999,-123456789012345678901234567890.123456789e-999999]`, Options{}, nil},
		{"DEL and non-ASCII unescaped", "{\"\x7f\u00e9\u4e16\":\"\U0001F600\"}", Options{}, nil},
		{"escaped NUL name", `{"\u0000":1,"":2}`, Options{}, nil},

		// Duplicates.
		{"duplicate", `{"a":1,"a":2}`, Options{}, ErrDuplicateMember},
		{"duplicate tenant", `{"tenant_id":"a","tenant_id":"b"}`, Options{}, ErrDuplicateMember},
		{"duplicate at depth", `{"x":[{"y":{"a":1,"b":2,"a":3}}]}`, Options{}, ErrDuplicateMember},
		{"duplicate in top-level array", `[{"a":1,"a":1}]`, Options{}, ErrDuplicateMember},
		{"escaped duplicate", `{"name":1,"na\u006de":2}`, Options{}, ErrDuplicateMember},
		{"escaped slash duplicate", `{"a/b":1,"a\/b":2}`, Options{}, ErrDuplicateMember},
		{"uppercase hex escape", `{"\u00E9":1,"é":2}`, Options{}, ErrDuplicateMember},
		{"surrogate pair vs raw", `{"\ud83d\ude00":1,"😀":2}`, Options{}, ErrDuplicateMember},
		{"lone surrogates collide", `{"\ud800":1,"\udbff":2}`, Options{}, ErrDuplicateMember},
		{"lone surrogate is U+FFFD", `{"\udc00":1,"` + "\uFFFD" + `":2}`, Options{}, ErrDuplicateMember},
		{"reversed pair", `{"\ude00\ud83d":1,"\ufffd\ufffd":2}`, Options{}, ErrDuplicateMember},
		{"duplicate past the map threshold", `{` + manyMembers(40) + `,"k007":2}`, Options{}, ErrDuplicateMember},
		{"duplicate at the stack threshold", `{` + manyMembers(17) + `,"k016":2}`, Options{}, ErrDuplicateMember},
		{"empty names", `{"":1,"":2}`, Options{}, ErrDuplicateMember},
		{"case-fold duplicate", `{"name":1,"NAME":2}`, fold, ErrDuplicateMember},
		{"Kelvin sign", "{\"key\":1,\"\u212aey\":2}", fold, ErrDuplicateMember},
		{"escaped Kelvin sign", `{"key":1,"\u212aey":2}`, fold, ErrDuplicateMember},
		{"long s", "{\"params\":1,\"param\u017f\":2}", fold, ErrDuplicateMember},
		{"Kelvin without fold", "{\"key\":1,\"\u212aey\":2}", Options{}, nil},
		{"sigma forms", "{\"\u03a3\":1,\"\u03c2\":2}", fold, ErrDuplicateMember},
		{"fold past the map threshold", `{` + manyMembers(40) + `,"K007":2}`, fold, ErrDuplicateMember},
		{"fold Kelvin past the map threshold", `{` + manyMembers(40) + ",\"\u212a007\":2}", fold, ErrDuplicateMember},
		{"fold needs same length", `{"ab":1,"AB ":2}`, fold, nil},
		{"fold is not ASCII punctuation", `{"[":1,"{":2}`, fold, nil},

		// Malformed.
		{"empty", ``, Options{}, ErrSyntax},
		{"only space", `  `, Options{}, ErrSyntax},
		{"trailing data", `{"a":1}{}`, Options{}, ErrSyntax},
		{"trailing garbage", `{"a":1} x`, Options{}, ErrSyntax},
		{"two values", `1 2`, Options{}, ErrSyntax},
		{"leading BOM", "\ufeff{}", Options{}, ErrSyntax},
		{"trailing comma object", `{"a":1,}`, Options{}, ErrSyntax},
		{"trailing comma array", `[1,]`, Options{}, ErrSyntax},
		{"leading comma", `[,1]`, Options{}, ErrSyntax},
		{"missing comma", `[1 2]`, Options{}, ErrSyntax},
		{"missing colon", `{"a" 1}`, Options{}, ErrSyntax},
		{"missing value", `{"a":}`, Options{}, ErrSyntax},
		{"name only", `{"a"}`, Options{}, ErrSyntax},
		{"unquoted name", `{a:1}`, Options{}, ErrSyntax},
		{"single quotes", `{'a':1}`, Options{}, ErrSyntax},
		{"numeric name", `{1:1}`, Options{}, ErrSyntax},
		{"line comment", "{\"a\":1 // c\n}", Options{}, ErrSyntax},
		{"block comment", `{/* c */"a":1}`, Options{}, ErrSyntax},
		{"NaN", `{"a":NaN}`, Options{}, ErrSyntax},
		{"Infinity", `{"a":Infinity}`, Options{}, ErrSyntax},
		{"negative Infinity", `[-Infinity]`, Options{}, ErrSyntax},
		{"leading zero", `{"a":01}`, Options{}, ErrSyntax},
		{"negative leading zero", `[-01]`, Options{}, ErrSyntax},
		{"plus sign", `[+1]`, Options{}, ErrSyntax},
		{"bare fraction", `[.5]`, Options{}, ErrSyntax},
		{"empty fraction", `[1.]`, Options{}, ErrSyntax},
		{"empty exponent", `[1e]`, Options{}, ErrSyntax},
		{"signed empty exponent", `[1e+]`, Options{}, ErrSyntax},
		{"lone minus", `[-]`, Options{}, ErrSyntax},
		{"hex number", `[0x10]`, Options{}, ErrSyntax},
		{"truncated literal", `{"a":tru}`, Options{}, ErrSyntax},
		{"capitalised literal", `[True]`, Options{}, ErrSyntax},
		{"literal with suffix", `[nullx]`, Options{}, ErrSyntax},
		{"raw control char", "{\"a\":\"\x01\"}", Options{}, ErrSyntax},
		{"raw newline in string", "[\"a\nb\"]", Options{}, ErrSyntax},
		{"raw tab in name", "{\"a\tb\":1}", Options{}, ErrSyntax},
		{"bad escape", `{"a":"\x"}`, Options{}, ErrSyntax},
		{"escaped single quote", `["\'"]`, Options{}, ErrSyntax},
		{"short unicode escape", `{"a":"\u12"}`, Options{}, ErrSyntax},
		{"non-hex unicode escape", `{"a":"\u12G4"}`, Options{}, ErrSyntax},
		{"unterminated string", `{"a":"`, Options{}, ErrSyntax},
		{"unterminated escape", `["\`, Options{}, ErrSyntax},
		{"unterminated object", `{"a":1`, Options{}, ErrSyntax},
		{"unterminated array", `[1`, Options{}, ErrSyntax},
		{"vertical tab space", "[\v1]", Options{}, ErrSyntax},
		{"NUL after value", "{}\x00", Options{}, ErrSyntax},
		{"syntax error wins over duplicate", `{"a":1,"a":2,}`, Options{}, ErrSyntax},

		// Invalid UTF-8.
		{"invalid byte in string", "{\"a\":\"\xff\"}", Options{}, ErrInvalidUTF8},
		{"invalid byte in name", "{\"\xff\":1,\"\xfe\":2}", Options{}, ErrInvalidUTF8},
		{"truncated sequence", "[\"\xe2\x82\"]", Options{}, ErrInvalidUTF8},
		{"overlong encoding", "[\"\xc0\xaf\"]", Options{}, ErrInvalidUTF8},
		{"UTF-8 encoded surrogate", "[\"\xed\xa0\x80\"]", Options{}, ErrInvalidUTF8},
		{"invalid byte outside string", "[1,\xff]", Options{}, ErrInvalidUTF8},
		{"Latin-1 document", "{\"caf\xe9\":1}", Options{}, ErrInvalidUTF8},

		// Depth.
		{"depth at the limit", nest("[", "]", 5, "1"), Options{MaxDepth: 5}, nil},
		{"depth over the limit", nest("[", "]", 6, ""), Options{MaxDepth: 5}, ErrTooDeep},
		{"objects over the limit", nest(`{"a":`, "}", 6, "1"), Options{MaxDepth: 5}, ErrTooDeep},
		{"default limit reached", nest("[", "]", DefaultMaxDepth, ""), Options{}, nil},
		{"default limit exceeded", nest("[", "]", DefaultMaxDepth+1, ""), Options{}, ErrTooDeep},
		{"deep objects with duplicates", nest(`{"a":0,"a":`, "}", 3000, "1"), Options{}, ErrDuplicateMember},

		// RequireObject.
		{"object required, got array", `[]`, obj, ErrNotObject},
		{"object required, got string", `"a"`, obj, ErrNotObject},
		{"object required, got null", ` null `, obj, ErrNotObject},
		{"object required, malformed", `[`, obj, ErrSyntax},
		{"object required, object", ` {"a":[]} `, obj, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check([]byte(tt.in), tt.opts)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			for _, other := range []error{ErrSyntax, ErrInvalidUTF8, ErrTooDeep, ErrNotObject, ErrDuplicateMember} {
				if other != tt.want {
					assert.NotErrorIs(t, err, other)
				}
			}
			if errors.Is(err, ErrDuplicateMember) {
				var de *DuplicateError
				require.ErrorAs(t, err, &de)
			}
			// Only malformed input is refused by encoding/json too.
			malformed := errors.Is(err, ErrSyntax) || errors.Is(err, ErrTooDeep)
			if utf8.ValidString(tt.in) && tt.opts.MaxDepth == 0 {
				assert.Equal(t, malformed, !json.Valid([]byte(tt.in)), "json.Valid disagrees")
			}
		})
	}
}

func TestDuplicateError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, path, name string
		opts           Options
	}{
		{`{"a":1,"a":2}`, "$", "a", Options{}},
		{`{"x":[0,{"y":{"b":1,"b":2}}]}`, "$.x[1].y", "b", Options{}},
		{`[[],[{"a b":{"\u0063":1,"c":2}}]]`, `$[1][0]["a b"]`, "c", Options{}},
		{`{"":{"k":1,"K":2}}`, `$[""]`, "K", Options{FoldCase: true}},
		{"{\"\u00e9\":{\"n\":1,\"\\u006e\":2}}", `$["\u00e9"]`, "n", Options{}},
		{`{"a":{"z":1},"b":{"z":1,"z":2}}`, "$.b", "z", Options{}},
		{`{"a":1,"b":{"c":1,"c":2},"a":2}`, "$.b", "c", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			err := Check([]byte(tt.in), tt.opts)
			var de *DuplicateError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.path, de.Path)
			assert.Equal(t, tt.name, de.Name)
			assert.ErrorIs(t, err, ErrDuplicateMember)
			assert.True(t, strings.HasPrefix(err.Error(), "strictjson: duplicate object member "))
		})
	}
	// The message is ASCII-only whatever the name holds.
	err := Check([]byte("{\"\\n\u202e\":1,\"\\n\u202e\":2}"), Options{})
	require.ErrorIs(t, err, ErrDuplicateMember)
	for _, c := range err.Error() {
		require.True(t, c >= 0x20 && c < 0x7f, "%q", err.Error())
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	type kv struct{ Name, Value string }
	collect := func(in string, opts Options) ([]kv, error) {
		var got []kv
		err := Members([]byte(in), opts, func(name, value []byte) error {
			got = append(got, kv{string(name), string(value)})
			return nil
		})
		return got, err
	}

	got, err := collect(` { "a" : 1 , "b\u0063" : { "x" : [ 1 ] } , "c":"s" } `, Options{})
	require.NoError(t, err)
	assert.Equal(t, []kv{{"a", "1"}, {"bc", `{ "x" : [ 1 ] }`}, {"c", `"s"`}}, got)

	got, err = collect(`{}`, Options{})
	require.NoError(t, err)
	assert.Empty(t, got)

	// Nested objects may repeat names; the top level may not.
	_, err = collect(`{"a":1,"b":[1,{"a":2,"a":3}]}`, Options{})
	require.NoError(t, err)
	_, err = collect(`{"a":1,"A":2}`, Options{FoldCase: true})
	require.ErrorIs(t, err, ErrDuplicateMember)
	_, err = collect(`{`+manyMembers(50)+`,"K049":1}`, Options{FoldCase: true})
	require.ErrorIs(t, err, ErrDuplicateMember)
	got, err = collect(`{`+manyMembers(50)+`}`, Options{FoldCase: true})
	require.NoError(t, err)
	require.Len(t, got, 50)
	assert.Equal(t, kv{"k049", "49"}, got[49])

	// Nothing is reported for rejected input, even before the error.
	for in, want := range map[string]error{
		`{"a":1,"b":}`:                        ErrSyntax,
		`{"a":1,"a":2}`:                       ErrDuplicateMember,
		`[{"a":1}]`:                           ErrNotObject,
		"{\"a\":\"\xff\"}":                    ErrInvalidUTF8,
		`{"a":` + nest("[", "]", 9, "") + `}`: ErrTooDeep,
	} {
		got, err := collect(in, Options{MaxDepth: 8})
		require.ErrorIs(t, err, want, in)
		assert.Empty(t, got, in)
	}

	// An error from fn stops the iteration and comes back unchanged.
	stop := errors.New("stop")
	n := 0
	err = Members([]byte(`{"a":1,"b":2,"c":3}`), Options{}, func(name, _ []byte) error {
		n++
		if string(name) == "b" {
			return stop
		}
		return nil
	})
	assert.Same(t, stop, err)
	assert.Equal(t, 2, n)
}

func TestFoldRuneMatchesEqualFold(t *testing.T) {
	t.Parallel()
	runes := []rune{'a', 'A', 'k', 'K', 's', 'S', 'z', '[', '{', '@', '`', 0x212A, 0x017F, 0x00B5, 0x039C, 0x03BC,
		0x03A3, 0x03C3, 0x03C2, 0x01C4, 0x01C5, 0x01C6, 0x0130, 0x0131, 'i', 'I', 0x1E9E, 0x00DF, 0xFFFD, 0x10400, 0x10428}
	for _, a := range runes {
		for _, b := range runes {
			assert.Equal(t, strings.EqualFold(string(a), string(b)), foldRune(a) == foldRune(b), "%U %U", a, b)
		}
	}
}

// dupNames decodes data with encoding/json and returns the names that occur
// twice in some object (compared with strings.EqualFold under fold).
func dupNames(data []byte, fold bool) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dups := map[string]bool{}
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			var names []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				name := k.(string)
				for _, n := range names {
					if n == name || fold && strings.EqualFold(n, name) {
						dups[name] = true
					}
				}
				names = append(names, name)
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return dups, nil
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1,"a":2}`, `{"a":{"b":[1,"x",null,true,false,-0.5e+3]}}`, `{"\u0061":1,"a":2}`,
		`{"K":1,"\u212a":2}`, `{"\ud800":1,"\udbff":2}`, `{"\ud83d\ude00":1}`, `[]`, `"x"`, `1e999`,
		`{"a":1,}`, `{"a":01}`, "{\"a\":\"\xff\"}", "\ufeff{}", `{` + manyMembers(40) + `,"K039":0}`,
		`[[[[[[[[[[]]]]]]]]]]`, `{"a":NaN}`, `{/**/}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, fold bool) {
		err := Check(data, Options{FoldCase: fold})
		valid := json.Valid(data)
		switch {
		case err == nil:
			if !valid {
				t.Fatalf("accepted what json.Valid refuses: %q", data)
			}
			if dups, derr := dupNames(data, fold); derr != nil || len(dups) > 0 {
				t.Fatalf("accepted %q: decode error %v, duplicates %v", data, derr, dups)
			}
		case errors.Is(err, ErrInvalidUTF8):
			if utf8.Valid(data) {
				t.Fatalf("ErrInvalidUTF8 for valid UTF-8 %q", data)
			}
		case errors.Is(err, ErrSyntax), errors.Is(err, ErrTooDeep):
			if valid && utf8.Valid(data) {
				t.Fatalf("%v for what json.Valid accepts: %q", err, data)
			}
		case errors.Is(err, ErrDuplicateMember):
			var de *DuplicateError
			if !errors.As(err, &de) || !valid || !utf8.Valid(data) {
				t.Fatalf("bad duplicate report %v for %q", err, data)
			}
			dups, derr := dupNames(data, fold)
			if derr != nil || !dups[de.Name] {
				t.Fatalf("reported duplicate %q in %s, encoding/json finds %v (%v) in %q", de.Name, de.Path, dups, derr, data)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		// Members agrees with Check on everything but nested duplicates.
		merr := Members(data, Options{FoldCase: fold}, func(name, value []byte) error {
			if !json.Valid(value) || !utf8.Valid(name) {
				t.Fatalf("member %q has invalid value %q", name, value)
			}
			return nil
		})
		if err == nil && !(len(bytes.TrimLeft(data, " \t\r\n")) > 0 && bytes.TrimLeft(data, " \t\r\n")[0] == '{') {
			if !errors.Is(merr, ErrNotObject) {
				t.Fatalf("Members on a non-object: %v", merr)
			}
		} else if err == nil && merr != nil {
			t.Fatalf("Members refused what Check accepts: %v", merr)
		}
		if merr == nil && err != nil && !errors.Is(err, ErrDuplicateMember) {
			t.Fatalf("Members accepted what Check refuses (%v)", err)
		}
	})
}

// benchClaims is a typical access token payload.
var benchClaims = []byte(`{"iss":"https://issuer.example","sub":"user-9","aud":["api://tools"],` +
	`"exp":1893456000,"iat":1700000000,"nbf":1700000000,"jti":"0c9a2f7e-1d2b-4c3d-9e8f-7a6b5c4d3e2f",` +
	`"tenant_id":"tenant-42","tier":"premium","scope":"tools:read tools:write",` +
	`"act":{"sub":"agent-1","act":{"sub":"gateway"}},"entitlements":["a","b","c"]}`)

func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct {
		name string
		data []byte
		opts Options
	}{
		{"claims", benchClaims, Options{MaxDepth: 32, RequireObject: true}},
		{"claims-fold", benchClaims, Options{MaxDepth: 32, FoldCase: true}},
		{"header", []byte(`{"alg":"RS256","typ":"at+jwt","kid":"key-1"}`), Options{MaxDepth: 32}},
		{"escaped", []byte(`{"tenant\u005fid":"t","na\u006de":"x","\u00e9":1}`), Options{}},
		{"100-members", []byte(`{` + manyMembers(100) + `}`), Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := Check(bc.data, bc.opts); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Check(bc.data, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJSONValid is the floor: encoding/json's validator alone, which
// neither checks UTF-8 nor duplicates.
func BenchmarkJSONValid(b *testing.B) {
	b.SetBytes(int64(len(benchClaims)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(benchClaims) {
			b.Fatal("invalid")
		}
	}
}
