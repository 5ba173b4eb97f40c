// Package iam evaluates IAM-style attribute-based access control (ABAC)
// policy documents locally, so a service can unit-test the isolation its
// AWS policies promise — for example that a principal tagged
// TenantID=Tenant-A can retrieve only from knowledge bases tagged
// TenantID=Tenant-A — without calling AWS.
//
// [Parse] validates and compiles a JSON policy document into an immutable
// [Policy]; [Evaluate] decides a [Request] against one or more policies and
// returns a [Decision] that names the deciding statement:
//
//	p, err := iam.Parse(doc)
//	…
//	d := iam.Evaluate(&iam.Request{
//		Action:        "bedrock:Retrieve",
//		Resource:      "arn:aws:bedrock:knowledge-base/kb-1",
//		PrincipalTags: map[string]string{"TenantID": "Tenant-A"},
//		ResourceTags:  map[string]string{"TenantID": "Tenant-A"},
//	}, p)
//	if d.Allowed() { … }
//
// The package depends on nothing else in tenantkit.
//
// # Documents
//
// A document has an optional Version ("2012-10-17" or "2008-10-17"), an
// optional Id and a Statement that is one object or a non-empty array. A
// statement has an optional Sid (unique within the document), a required
// Effect ("Allow" or "Deny", exact case), exactly one of Action/NotAction,
// exactly one of Resource/NotResource, an optional Principal or
// NotPrincipal, and an optional Condition. Lists are a string or a
// non-empty array of strings. Condition values are a string, number or
// boolean, or a non-empty array of them.
//
// [Parse] is strict and fails with a *[ParseError] (wrapping
// [ErrInvalidPolicy]) that names the JSON location, for: malformed JSON,
// invalid UTF-8, trailing data, documents over [MaxDocumentSize] or nested
// more than 16 levels; duplicate object keys anywhere (encoding/json would
// silently keep the last "Effect"); unknown or wrongly-cased elements; a
// missing or misspelled Effect; both or neither of Action/NotAction and
// Resource/NotResource; empty lists; actions that are not "*" or
// "service:Action"; resources that are not "*" or start with "arn:";
// unknown condition operators; Null with IfExists or a set qualifier;
// condition values of the wrong type for their operator (numbers, dates,
// booleans, base64, IP addresses, ARN patterns with fewer than six
// components); malformed policy variables; duplicate Sids.
//
// # Evaluation logic
//
// [Evaluate] combines policies the way AWS combines the identity-based
// policies of one principal in one account:
//
//  1. A statement applies when its Action (or NotAction), Resource (or
//     NotResource), Principal (or NotPrincipal) if present, and every
//     condition match the request.
//  2. If any applicable statement in any policy is a Deny, the decision is
//     [ExplicitDeny] (the first one, in argument and statement order, is
//     reported).
//  3. Otherwise, if any applicable statement is an Allow, the decision is
//     [Allow] (the first one is reported).
//  4. Otherwise the decision is [ImplicitDeny] — the zero value.
//
// Action names are compared ignoring ASCII case; resource ARNs are compared
// case-sensitively. Both accept the wildcards * (any run of characters,
// including none) and ? (exactly one character). In Action and Resource,
// wildcards may match across colons (AWS only promises this for a * that
// ends an ARN component; this package does not restrict it further).
// NotAction/NotResource apply the statement to everything the list does not
// match.
//
// Principal and NotPrincipal are evaluated against [Request.Principal],
// literally: "*" and {"AWS": "*"} match every caller (even an empty
// Principal); a 12-digit account id or arn:…:iam::ACCOUNT:root matches every
// principal ARN in that account; any other entry must equal
// Request.Principal exactly (no wildcards, no mapping of a role session ARN
// to its role). A statement without these elements applies to every caller,
// as in an identity-based policy.
//
// # Conditions
//
// Supported operators: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool, Null,
// NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals,
// NumericGreaterThan, NumericGreaterThanEquals, DateEquals, DateNotEquals,
// DateLessThan, DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals,
// BinaryEquals, IpAddress and NotIpAddress; each (except Null) with the
// IfExists suffix and the ForAnyValue: / ForAllValues: set qualifiers.
//
// Semantics follow AWS's documentation:
//
//   - Several operators, and several keys under one operator, are ANDed;
//     several values for one key are ORed.
//   - A negated operator (…NotEquals, …NotLike, NotIpAddress) holds when the
//     request value matches none of the policy values.
//   - A key absent from the request makes the condition false, or true for a
//     negated operator; …IfExists makes it true; ForAllValues makes it true
//     (as does an empty value set); ForAnyValue makes it false (even when
//     negated). Null tests presence only: "true" holds when the key is
//     absent.
//   - A multi-valued key without a qualifier (AWS asks for one; this is the
//     choice made here): the positive operator holds when any request value
//     matches, the negated one when none does.
//     ForAnyValue holds when at least one request value satisfies the
//     (possibly negated) operator, ForAllValues when every one does.
//   - ArnEquals and ArnLike are the same operator, as in AWS: both sides are
//     split into six colon-separated components (the sixth keeps further
//     colons) and each component is matched with wildcards; a request value
//     with fewer components never matches.
//   - Dates are RFC 3339 / ISO 8601 (2026-11-24, 2026-11-24T15:04Z,
//     2026-11-24T15:04:05.123+01:00; no zone means UTC) or epoch seconds.
//     Numbers are decimal floating point. A request value that does not
//     parse as the operator's type matches no policy value (so the negated
//     operator holds).
//   - Context key names ignore case (aws:SourceIp = AWS:SOURCEIP), as do
//     tag keys; values are compared as the operator says.
//
// aws:TagKeys is taken from [Request.Context] when set there and otherwise
// derived from the keys of [Request.RequestTags].
//
// # Policy variables
//
// In Resource/NotResource entries and in the values of String* and Arn*
// conditions (Version 2012-10-17 only), ${key} is replaced by the value of
// any context key — ${aws:PrincipalTag/TenantID}, ${aws:ResourceTag/x},
// ${aws:RequestTag/x}, ${aws:username}, … — and ${key, 'default'} supplies a
// default for a key without a value. ${*}, ${?} and ${$} stand for a
// literal *, ? and $. A substituted value is always literal: a tag value of
// "*" is not a wildcard.
//
// A variable whose key is absent, multi-valued (AWS does not allow
// multi-valued keys as variables) or empty, and that has no default, cannot
// be resolved. Then, as AWS documents, that part of the statement does not
// match: the condition is false (also for a negated operator — add a Null
// check if a Deny must also cover a caller without the tag), a Resource
// entry never matches, and a NotResource list makes the statement not
// apply. In particular a missing tag never equals a missing tag, and an
// empty tag never equals an empty tag.
//
// A document without Version, or with "2008-10-17", has no policy variables;
// [Parse] rejects "${" in it rather than compare it literally by surprise.
//
// # Not implemented
//
// Only identity-based evaluation of the given documents. There are no
// service control policies, resource control policies, permissions
// boundaries, session policies, resource-based policy cross-account rules
// or the Organizations hierarchy; no knowledge of which context keys or
// resource types a service supports (any key may be used, none is
// injected: set aws:CurrentTime, aws:SecureTransport … yourself); no
// validation that an action or key exists; no Principal wildcards or
// role-session mapping; policy variables are not supported in Bool, Numeric,
// Date, Binary and IP operators; and an empty variable value is treated as
// missing, which is stricter than AWS.
//
// # Errors
//
// Evaluation never panics on input and fails closed: a request without
// Action or Resource, a nil *[Policy], a key lookup that is ambiguous
// (several keys equal ignoring case and none exactly) or a tag the policy
// needs that was put in [Request.Context] instead of its tag map yields
// [ImplicitDeny] with [Decision.Err] set, wrapping [ErrInvalidRequest] or
// [ErrInvalidPolicy]. [Request.Validate] performs all request checks up
// front.
//
// # Performance and concurrency
//
// A [Policy] is immutable after [Parse] and safe for concurrent use, as is
// [Evaluate]. Evaluating the tenant-isolation policy of the example takes
// about 85 ns with no allocations (BenchmarkEvaluate); a variable embedded
// in other text in a StringEquals-family value, aws:TagKeys derived from
// RequestTags and BinaryEquals allocate, the rest does not. Wildcard
// matching is iterative and at worst O(len(pattern)·len(value)).
package iam
