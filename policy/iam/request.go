package iam

import (
	"fmt"
	"slices"
	"strings"
)

// Request is the request context a policy is evaluated against.
//
// Tag keys and context key names are matched as in AWS, ignoring case: a key
// present with exactly the case the policy uses is taken as is; otherwise
// the one key equal to it ignoring case is used, and several such keys make
// the evaluation fail closed with [ErrInvalidRequest]. Values are compared
// as the condition operator says (StringEquals is case-sensitive).
// [Request.Validate] rejects any keys that differ only in case up front.
// A Request is only read during evaluation and may be shared by concurrent
// evaluations.
type Request struct {
	// Action is the API action, e.g. "bedrock:Retrieve". Required.
	Action string
	// Resource is the ARN of the resource acted on. Required.
	Resource string
	// Principal is the ARN of the caller. It is used only by statements
	// with a Principal or NotPrincipal element; leave it empty for
	// identity-based policies.
	Principal string
	// PrincipalTags are the caller's tags: aws:PrincipalTag/<key>.
	PrincipalTags map[string]string
	// ResourceTags are the tags on the resource: aws:ResourceTag/<key>.
	ResourceTags map[string]string
	// RequestTags are the tags passed in the request: aws:RequestTag/<key>.
	// Their keys are also the value of aws:TagKeys unless Context sets it.
	RequestTags map[string]string
	// Context holds every other context key, single- or multi-valued,
	// e.g. "aws:username", "aws:SourceIp", "aws:CurrentTime",
	// "aws:SecureTransport". A key with no values is absent. Tag keys
	// (aws:PrincipalTag/…, aws:ResourceTag/…, aws:RequestTag/…) do not
	// belong here: use the tag maps (evaluation fails closed when a policy
	// looks up a tag that is only in Context).
	Context map[string][]string
}

// Validate reports whether the request is well formed: Action and Resource
// are set, Context carries no tag keys, and no map holds two keys that
// differ only in case. [Evaluate] checks Action and Resource itself and the
// rest lazily, for the keys the policies look up; call Validate when a
// request is built from data you do not control, to reject it outright.
// Errors wrap [ErrInvalidRequest].
func (r *Request) Validate() error {
	if err := r.check(); err != nil {
		return err
	}
	for k := range r.Context {
		if isTagKey(k) {
			return fmt.Errorf("%w: context key %s must be given in the tag maps", ErrInvalidRequest, quote(k))
		}
	}
	if err := foldDuplicates(r.PrincipalTags, "PrincipalTags"); err != nil {
		return err
	}
	if err := foldDuplicates(r.ResourceTags, "ResourceTags"); err != nil {
		return err
	}
	if err := foldDuplicates(r.RequestTags, "RequestTags"); err != nil {
		return err
	}
	return foldDuplicates(r.Context, "Context")
}

// check is the part of Validate that Evaluate runs up front.
func (r *Request) check() error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: nil request", ErrInvalidRequest)
	case r.Action == "":
		return fmt.Errorf("%w: empty action", ErrInvalidRequest)
	case r.Resource == "":
		return fmt.Errorf("%w: empty resource", ErrInvalidRequest)
	}
	return nil
}

func isTagKey(k string) bool {
	return hasPrefixFold(k, prefixPrincipalTag) || hasPrefixFold(k, prefixResourceTag) || hasPrefixFold(k, prefixRequestTag)
}

func foldDuplicates[V any](m map[string]V, where string) error {
	if len(m) < 2 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if strings.EqualFold(a, b) {
				return fmt.Errorf("%w: %s has keys %s and %s that differ only in case", ErrInvalidRequest, where, quote(a), quote(b))
			}
		}
	}
	return nil
}

// values is the value set of a context key, without allocating for the
// common single-valued case.
type values struct {
	one  string
	many []string
	n    int
}

func (v *values) at(i int) string {
	if v.many != nil {
		return v.many[i]
	}
	return v.one
}

// foldGet looks key up in m: the exact key if present, else the one key
// equal to it ignoring case. conflict is true when several keys are.
func foldGet[V any](m map[string]V, key string) (val V, found, conflict bool) {
	if len(m) == 0 {
		return val, false, false
	}
	if v, ok := m[key]; ok {
		return v, true, false
	}
	for k, v := range m {
		if !strings.EqualFold(k, key) {
			continue
		}
		if found {
			return val, false, true
		}
		val, found = v, true
	}
	return val, found, false
}

// evaluator carries one evaluation's request and its first error.
type evaluator struct {
	req *Request
	err error
}

func (e *evaluator) conflict(where, key string) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: %s has several keys equal to %s ignoring case and none exactly", ErrInvalidRequest, where, quote(key))
	}
}

// misplacedTag fails the evaluation when a tag the policy needs was put in
// Context instead of its tag map: treating it as absent could make a
// negated condition hold.
func (e *evaluator) misplacedTag(k ctxKey) {
	for ck := range e.req.Context {
		if isTagKey(ck) && len(ck) > len(k.name) && strings.EqualFold(ck[len(ck)-len(k.name):], k.name) && ck[len(ck)-len(k.name)-1] == '/' {
			if e.err == nil {
				e.err = fmt.Errorf("%w: context key %s must be given in the tag maps", ErrInvalidRequest, quote(ck))
			}
			return
		}
	}
}

func (e *evaluator) lookup(k ctxKey) values {
	var m map[string]string
	var where string
	switch k.kind {
	case kPrincipalTag:
		m, where = e.req.PrincipalTags, "PrincipalTags"
	case kResourceTag:
		m, where = e.req.ResourceTags, "ResourceTags"
	case kRequestTag:
		m, where = e.req.RequestTags, "RequestTags"
	default:
		vs, ok, conflict := foldGet(e.req.Context, k.name)
		if conflict {
			e.conflict("Context", k.name)
			return values{}
		}
		if ok {
			return values{many: vs, n: len(vs)}
		}
		if k.kind == kTagKeys && len(e.req.RequestTags) > 0 {
			keys := make([]string, 0, len(e.req.RequestTags))
			for tk := range e.req.RequestTags {
				keys = append(keys, tk)
			}
			slices.Sort(keys)
			return values{many: keys, n: len(keys)}
		}
		return values{}
	}
	v, ok, conflict := foldGet(m, k.name)
	if conflict {
		e.conflict(where, k.name)
		return values{}
	}
	if !ok {
		e.misplacedTag(k)
		return values{}
	}
	return values{one: v, n: 1}
}

// resolveVar returns the value a policy variable stands for. A key that is
// absent, multi-valued or empty has no value; then the default is used if
// the variable has one, and otherwise resolution fails.
func (e *evaluator) resolveVar(t *token) (string, bool) {
	v := e.lookup(t.key)
	if v.n == 1 {
		if s := v.at(0); s != "" {
			return s, true
		}
	}
	if t.hasDefault {
		return t.text, true
	}
	return "", false
}

// resolveString returns the value of a template without wildcards.
func (e *evaluator) resolveString(t *template) (string, bool) {
	if t.plain {
		return t.str, true
	}
	if t.single {
		return e.resolveVar(&t.toks[0])
	}
	var b strings.Builder
	for i := range t.toks {
		tok := &t.toks[i]
		if tok.kind != tVar {
			b.WriteString(tok.text)
			continue
		}
		s, ok := e.resolveVar(tok)
		if !ok {
			return "", false
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// resolveTokens returns the pattern of a wildcard template with its
// variables replaced by literal text (a value's * and ? stay literal), using
// buf as storage.
func (e *evaluator) resolveTokens(t *template, buf []token) ([]token, bool) {
	if t.static {
		return t.toks, true
	}
	out := buf[:0]
	for i := range t.toks {
		tok := &t.toks[i]
		if tok.kind != tVar {
			out = append(out, *tok)
			continue
		}
		s, ok := e.resolveVar(tok)
		if !ok {
			return nil, false
		}
		out = append(out, token{kind: tLit, text: s})
	}
	return out, true
}
