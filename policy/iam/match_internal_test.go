package iam

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compileGlob(t testing.TB, pattern string) []token {
	t.Helper()
	tmpl, msg := compileTemplate(pattern, true, true)
	require.Empty(t, msg)
	require.True(t, tmpl.static)
	return tmpl.toks
}

func TestMatchTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"?", "", false, false},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"a*b", "ab", false, true},
		{"a*b", "axxxb", false, true},
		{"a*b", "axxxbc", false, false},
		{"a*b*c", "abxbc", false, true},
		{"a*b*c", "acb", false, false},
		{"*a*a*a*a*b", strings.Repeat("a", 200), false, false},
		{"*x", "xxx", false, true},
		{"a**b", "ab", false, true},
		{"abc", "ABC", false, false},
		{"abc", "ABC", true, true},
		{"s3:Get*", "S3:GETOBJECT", true, true},
		{"a${*}", "a*", false, true},
		{"a${*}", "ab", false, false},
		{"a${?}", "ab", false, false},
		{"${$}{x}", "${x}", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"|"+tc.s, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, matchTokens(compileGlob(t, tc.pattern), tc.s, tc.fold))
		})
	}
}

func TestMatchARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:s3:::b", "arn:aws:s3:::b", true},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/c:d", true},
		{"arn:*:s3:::b", "arn:aws-cn:s3:::b", true},
		{"arn:*:s3:::b", "arn:aws:x:s3:::b", false},
		{"arn:aws:s3:*:*:b", "arn:aws:s3:::b", true},
		{"arn:aws:s3:?:*:b", "arn:aws:s3:::b", false},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::123:role/a/b", true},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::123", false},
		{"arn:aws:iam::*:role/*", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"|"+tc.s, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, matchARN(compileGlob(t, tc.pattern), tc.s))
		})
	}
}

// globRegexp is an independent reference implementation of the wildcard
// semantics: * is .*, ? is one character, everything else is literal.
func globRegexp(toks []token) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, t := range toks {
		switch t.kind {
		case tStar:
			b.WriteString(`.*`)
		case tQmark:
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(t.text))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func FuzzWildcardMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b"},
		{"*a*a*b", "aaaaaaaaaaaaaaaaaaab"},
		{"s3:Get?bject", "S3:GETOBJECT"},
		{"a${*}b${?}c${$}", "a*b?c$"},
		{"?é*", "xé"},
		{"arn:*:s3:::*", "arn:aws:s3:::b:c"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		tmpl, msg := compileTemplate(pattern, true, false)
		if msg != "" {
			if !strings.Contains(pattern, "${") {
				t.Fatalf("pattern without variables rejected: %s", msg)
			}
			return
		}
		got := matchTokens(tmpl.toks, s, false)
		if utf8.ValidString(pattern) && utf8.ValidString(s) {
			if want := globRegexp(tmpl.toks).MatchString(s); got != want {
				t.Fatalf("matchTokens(%q, %q) = %v, reference says %v", pattern, s, got, want)
			}
		}
		// Case folding equals matching the ASCII-lower-cased forms.
		lowered := make([]token, len(tmpl.toks))
		for i, tok := range tmpl.toks {
			tok.text = lowerASCII(tok.text)
			lowered[i] = tok
		}
		if a, b := matchTokens(tmpl.toks, s, true), matchTokens(lowered, lowerASCII(s), false); a != b {
			t.Fatalf("fold(%q, %q) = %v, lower-cased match = %v", pattern, s, a, b)
		}
		// ARN matching equals matching the six components one by one.
		want := false
		ps, vs := strings.SplitN(tmpl.raw, ":", 6), strings.SplitN(s, ":", 6)
		if len(ps) == 6 && len(vs) == 6 && !strings.Contains(tmpl.raw, "${") {
			want = true
			for i := range ps {
				st, _ := compileTemplate(ps[i], true, false)
				if !matchTokens(st.toks, vs[i], false) {
					want = false
				}
			}
			if got := matchARN(tmpl.toks, s); got != want {
				t.Fatalf("matchARN(%q, %q) = %v, component-wise %v", pattern, s, got, want)
			}
		}
	})
}
