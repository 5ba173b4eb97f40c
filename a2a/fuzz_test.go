package a2a

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/oauthsyntax"
)

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"abc","token_type":"Bearer","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","expires_in":60,"scope":"a b"}`,
		`{"access_token":"abc","token_type":"N_A","issued_token_type":"urn:x:y","refresh_token":"r"}`,
		`{"access_token":"abc","access_token":"x","token_type":"Bearer"}`,
		`{"access_token":"a\r\nb","token_type":"Bearer","issued_token_type":"urn:x:y"}`,
		`{"expires_in":1e400}`,
		`[]`, `null`, `{`, `{"a":1}{}`, "",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, requireIssued bool) {
		r, err := parseTokenResponse(body, requireIssued)
		if err != nil {
			if r != nil {
				t.Fatal("result with error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error message with newline: %q", err)
			}
			return
		}
		if r.AccessToken == "" || !isTypeName(r.TokenType) {
			t.Fatalf("accepted response without access_token or token_type: %+v", r)
		}
		if strings.EqualFold(r.TokenType, "bearer") && !oauthsyntax.B64Token(r.AccessToken) {
			t.Fatalf("accepted bearer token outside b64token")
		}
		if !oauthsyntax.VSChars(r.AccessToken) {
			t.Fatal("accepted access token with invisible characters")
		}
		if requireIssued && !strings.Contains(r.IssuedTokenType, ":") {
			t.Fatal("accepted response without issued_token_type")
		}
		if r.ExpiresIn < 0 || r.ExpiresIn > maxExpiresIn {
			t.Fatalf("expires_in out of range: %d", r.ExpiresIn)
		}
		for _, s := range r.Scope {
			if !isScopeToken(s) {
				t.Fatalf("accepted malformed scope %q", s)
			}
		}
		if r.RefreshToken != "" && !oauthsyntax.VSChars(r.RefreshToken) {
			t.Fatal("accepted refresh token with invisible characters")
		}
	})
}

func FuzzErrorResponse(f *testing.F) {
	for _, s := range []string{
		`{"error":"invalid_grant","error_description":"token sekrit-subject-token is bad","error_uri":"https://as/e"}`,
		`{"error":"a\"b"}`, `{"error":42}`, `<html>`, "",
	} {
		f.Add([]byte(s))
	}
	const secret = "sekrit-subject-token"
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &TokenClient{secret: "client-secret-value"}
		err := c.errorFromResponse(400, body, []string{secret})
		xe, ok := err.(*ExchangeError)
		if !ok {
			t.Fatalf("not an *ExchangeError: %T", err)
		}
		msg := xe.Error()
		if strings.Contains(msg, secret) || strings.Contains(xe.URI, secret) {
			t.Fatalf("secret leaked into %q", msg)
		}
		for _, s := range []string{xe.Code, xe.Description, xe.URI} {
			if len(s) > maxErrorText {
				t.Fatalf("unbounded text (%d bytes)", len(s))
			}
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\' {
					t.Fatalf("unsanitized byte %#x in %q", s[i], s)
				}
			}
		}
	})
}

func TestSanitizeText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat(strings.Repeat("A", 40)+" ", 30) // shrinks to 30×"[redacted] "
	cases := []struct{ name, in, want string }{
		{"plain", "subject token expired", "subject token expired"},
		{"secret", "bad sekrit-subject-token here", "bad [redacted] here"},
		{"secret after shrinking text", long + "sekrit-subject-token", strings.Repeat("[redacted] ", 24)[:maxErrorText]},
		{"control and quotes", "a\x00b\"c\\d\u00e9", "a?b?c?d??"},
		{"token-like run", "x " + strings.Repeat("b", 40), "x [redacted]"},
		{"short run kept", "x " + strings.Repeat("b", 39), "x " + strings.Repeat("b", 39)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := sanitizeText(c.in, "sekrit-subject-token")
			if got != c.want {
				t.Fatalf("sanitizeText = %q, want %q", got, c.want)
			}
		})
	}
	// The secret straddling any truncation point never leaves a prefix.
	for pad := 0; pad < 600; pad += 7 {
		got := sanitizeText(long+strings.Repeat("-", pad)+"sekrit-subject-token", "sekrit-subject-token")
		if strings.Contains(got, "sekrit") {
			t.Fatalf("pad %d: prefix of secret leaked: %q", pad, got)
		}
	}
}
