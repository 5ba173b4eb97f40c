package oauthsyntax

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestB64Token(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"abc": true, "a.b-c_d~e+f/g": true, "abc==": true, "eyJhbGciOi.eyJzdWIi.c2ln": true,
		"=": false, "a=b": false, "": false, "a b": false, "a\x00": false, "a\r\n": false,
		"a,b": false, `a"b`: false, "ä": false,
	} {
		assert.Equal(t, want, B64Token(s), "%q", s)
	}
}

func TestVSChars(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"abc": true, `!"#~`: true, "urn:ietf:params:oauth:token-type:jwt": true,
		"": false, "a b": false, "a\tb": false, "a\x7f": false, "é": false, "a\n": false,
	} {
		assert.Equal(t, want, VSChars(s), "%q", s)
	}
}

var (
	b64TokenRE = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)
	vsCharsRE  = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

// FuzzSyntax checks both functions against the grammars written as
// regular expressions.
func FuzzSyntax(f *testing.F) {
	for _, s := range []string{"abc", "abc==", "a=b", "", "a b", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := B64Token(s), b64TokenRE.MatchString(s); got != want {
			t.Fatalf("B64Token(%q) = %v, grammar says %v", s, got, want)
		}
		if got, want := VSChars(s), vsCharsRE.MatchString(s); got != want {
			t.Fatalf("VSChars(%q) = %v, grammar says %v", s, got, want)
		}
	})
}
