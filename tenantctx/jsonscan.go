package tenantctx

import (
	"errors"

	"github.com/tenantkit/tenantkit/internal/strictjson"
)

// maxJSONDepth bounds nesting in token headers, claims and JWKS documents:
// at most this many arrays and objects may be open at once.
const maxJSONDepth = 32

var errJSONSyntax = errors.New("tenantctx: invalid json")

// checkJSONObject reports whether data is one JSON object in which no
// object, at any depth, has two members with the same name. Names are
// compared after unescaping, so "tenant_id" and "tenant\u005fid" collide.
//
// encoding/json silently keeps the last of duplicate members, so a token
// carrying "tenant_id":"a","tenant_id":"b" would be read differently by
// different parsers; such tokens are rejected with [ErrDuplicateMember].
// Invalid UTF-8 is rejected as well, because encoding/json replaces it with
// U+FFFD and could thereby merge distinct names. Every other failure is
// errJSONSyntax. The rules are those of [strictjson.Check].
func checkJSONObject(data []byte) error {
	err := strictjson.Check(data, strictjson.Options{MaxDepth: maxJSONDepth, RequireObject: true})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, strictjson.ErrDuplicateMember):
		return ErrDuplicateMember
	default:
		return errJSONSyntax
	}
}
