// Package strictjson checks untrusted JSON for well-formedness and duplicate
// member names before encoding/json reads it.
//
// encoding/json silently keeps the last of two members with the same name,
// and matches struct fields case-insensitively, so
// {"tenant_id":"a","tenant_id":"b"} means "b" to it and "a" to a parser
// that keeps the first. Where a security decision rests on a member, such
// documents are spoofing attempts: [Check] rejects them, and [Members]
// does the same for the top-level object of a reader that hands nested
// values on untouched. Both are shared by tenantctx (JWT headers, claims
// and JWK Sets), a2a (token endpoint responses) and the MCP gateway
// (JSON-RPC messages).
//
// # What is accepted
//
// Exactly one JSON text as RFC 8259 defines it, with optional white space
// (space, tab, CR, LF) around it, and nothing else:
//
//   - numbers follow the RFC grammar exactly: no leading zeros, "+", ".5",
//     "1.", hexadecimal, NaN or Infinity; their size is not limited
//     (1e999999 is well-formed; it is the reader's job to range-check);
//   - literals are true, false and null in lower case;
//   - no comments, trailing commas, single quotes or unquoted names;
//   - no byte order mark;
//   - the input must be valid UTF-8 everywhere ([ErrInvalidUTF8]), because
//     encoding/json turns invalid bytes into U+FFFD and could thereby
//     merge distinct names; control characters U+0000-U+001F must be
//     escaped inside strings;
//   - arrays and objects nest at most [Options].MaxDepth deep
//     ([ErrTooDeep]).
//
// Anything else is [ErrSyntax]. Over valid UTF-8 and within the depth
// limit, Check accepts a document exactly when json.Valid does and no
// object repeats a name.
//
// # Duplicate names
//
// Names are compared after unescaping, as encoding/json decodes them:
// "name" and "na\u006de" are the same name. A \u escape of a UTF-16
// surrogate that is not part of a valid high-low pair is accepted, as
// encoding/json accepts it, and stands for U+FFFD, as it does there; so
// "\ud800", "\udbff" and "\ufffd" are all the same name. With
// [Options].FoldCase, names that are equal under Unicode simple case
// folding collide too, the rule encoding/json uses to match names to struct
// fields: "ID" and "id", "k" and the Kelvin sign U+212A, "s" and the long s
// U+017F.
//
// Check compares names in every object at every depth; Members only in the
// top-level object. A duplicate is reported as a [*DuplicateError] wrapping
// [ErrDuplicateMember], and only for an otherwise well-formed document:
// a malformed one is reported as malformed.
//
// # Cost
//
// Check makes one pass over the input and does not allocate for objects of
// up to 16 members (BenchmarkCheck). Larger objects spill their names to
// the heap, and objects of more than 32 members are compared through a
// map, so the work stays linear. Nesting is scanned recursively; each
// nested object whose names are compared takes about 0.5 KB of goroutine
// stack while it is open.
package strictjson
