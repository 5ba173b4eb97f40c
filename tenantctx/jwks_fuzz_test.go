package tenantctx

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"net/http"
	"testing"
	"time"
)

// FuzzParseJWKS feeds arbitrary JWK Sets to the parser: it must never
// panic, never return an empty set without an error, never return a key
// that is too weak or of an unsupported type, and never return a key whose
// declared "alg" it does not fit.
func FuzzParseJWKS(f *testing.F) {
	for _, seed := range []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"e"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"p","alg":"ES256"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"small"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"private"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"RS256"}]}`,
		`{"keys":{"kty":"RSA"}}`,
		`{"keys":[1,"x",null]}`,
		`{"keys":[],"keys":[]}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseJWKS(body)
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("empty key set without an error")
		}
		for _, k := range keys {
			switch pub := k.key.(type) {
			case *rsa.PublicKey:
				if pub.N.BitLen() < 2048 {
					t.Fatalf("RSA key of %d bits accepted", pub.N.BitLen())
				}
			case *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Fatalf("unexpected key type %T", pub)
			}
			if k.alg != "" && !keyFits(k.alg, k.key) {
				t.Fatalf("key does not fit its alg %q", k.alg)
			}
		}
	})
}

// FuzzCacheMaxAge: any Cache-Control and Age headers give a lifetime in
// [0, 2^31 s], and no-store/no-cache give 0.
func FuzzCacheMaxAge(f *testing.F) {
	for _, seed := range [][2]string{
		{"max-age=300", ""}, {"public, max-age=60", "10"}, {"no-store", ""}, {"max-age=-1", ""},
		{`max-age="600"`, "700"}, {"max-age=99999999999999999999", "-5"}, {"MAX-AGE=5, no-cache", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, cc, age string) {
		h := http.Header{}
		h["Cache-Control"] = []string{cc}
		h["Age"] = []string{age}
		d, _ := cacheMaxAge(h)
		if d < 0 || d > time.Duration(1<<31)*time.Second {
			t.Fatalf("lifetime %v out of range", d)
		}
	})
}
