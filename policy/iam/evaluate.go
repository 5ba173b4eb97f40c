package iam

import (
	"fmt"
	"strconv"
)

// Outcome is the result of an evaluation. The zero value is [ImplicitDeny].
type Outcome uint8

const (
	// ImplicitDeny: no statement allowed the request (default deny).
	ImplicitDeny Outcome = iota
	// Allow: at least one Allow statement applied and no Deny statement did.
	Allow
	// ExplicitDeny: a Deny statement applied; it overrides every Allow.
	ExplicitDeny
)

// String returns "ImplicitDeny", "Allow" or "ExplicitDeny".
func (o Outcome) String() string {
	switch o {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Decision is the result of [Evaluate] and names the statement that
// decided it.
type Decision struct {
	// Outcome is Allow, ExplicitDeny or ImplicitDeny.
	Outcome Outcome
	// Policy is the index, in the policies passed to Evaluate, of the
	// policy holding the deciding statement; -1 for ImplicitDeny.
	Policy int
	// Statement is the index of the deciding statement within its policy
	// (0 when Statement was a single object); -1 for ImplicitDeny.
	Statement int
	// Sid is the deciding statement's Sid, possibly empty.
	Sid string
	// Err is non-nil when the request or the policy list was malformed;
	// Outcome is then ImplicitDeny. It wraps ErrInvalidRequest or
	// ErrInvalidPolicy.
	Err error
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Outcome == Allow && d.Err == nil }

// String describes the decision, e.g. `Allow by policy 0 statement 0 ("EnforceTenantIsolation")`.
func (d Decision) String() string {
	if d.Err != nil {
		return "ImplicitDeny (" + d.Err.Error() + ")"
	}
	if d.Outcome == ImplicitDeny {
		return "ImplicitDeny (no statement allows the request)"
	}
	s := d.Outcome.String() + " by policy " + strconv.Itoa(d.Policy) + " statement " + strconv.Itoa(d.Statement)
	if d.Sid != "" {
		s += " (" + strconv.Quote(d.Sid) + ")"
	}
	return s
}

func implicitDeny(err error) Decision {
	return Decision{Outcome: ImplicitDeny, Policy: -1, Statement: -1, Err: err}
}

// Evaluate decides req against policies the way AWS combines the
// identity-based policies of one principal: an applicable Deny statement
// in any policy wins (ExplicitDeny, the first one in order is reported);
// otherwise an applicable Allow statement allows (the first one is
// reported); otherwise the request is implicitly denied.
//
// A statement applies when its Action/NotAction, Resource/NotResource,
// Principal/NotPrincipal (if present) and every condition match.
//
// A request without Action or Resource, a nil policy, an ambiguous key
// lookup (several keys equal ignoring case, none exactly; see [Request]) or
// a tag the policy needs that was put in Context yields ImplicitDeny with
// Err set. Evaluate does not allocate on the common paths and is safe for
// concurrent use.
func Evaluate(req *Request, policies ...*Policy) Decision {
	if err := req.check(); err != nil {
		return implicitDeny(err)
	}
	e := evaluator{req: req}
	d := implicitDeny(nil)
	for pi, p := range policies {
		if p == nil {
			return implicitDeny(fmt.Errorf("%w: policies[%d] is nil", ErrInvalidPolicy, pi))
		}
		for si := range p.stmts {
			st := &p.stmts[si]
			if !st.deny && d.Outcome == Allow {
				continue // already allowed: only a Deny can change the outcome
			}
			ok := e.applies(st)
			if e.err != nil {
				return implicitDeny(e.err)
			}
			if !ok {
				continue
			}
			if st.deny {
				return Decision{Outcome: ExplicitDeny, Policy: pi, Statement: si, Sid: st.sid}
			}
			d = Decision{Outcome: Allow, Policy: pi, Statement: si, Sid: st.sid}
		}
	}
	return d
}

func (e *evaluator) applies(st *statement) bool {
	if !st.matchAction(e.req.Action) {
		return false
	}
	if !e.matchResource(st) {
		return false
	}
	if st.principal != nil && st.principal.matches(e.req.Principal) == st.notPrincipal {
		return false
	}
	for i := range st.conds {
		if !e.evalCond(&st.conds[i]) {
			return false
		}
	}
	return true
}

// matchAction compares action names ignoring ASCII case, as AWS does.
func (st *statement) matchAction(action string) bool {
	matched := false
	for i := range st.actions {
		t := &st.actions[i]
		if t.plain {
			matched = len(t.str) == len(action) && asciiPrefixFold(action, t.str)
		} else {
			matched = matchTokens(t.toks, action, true)
		}
		if matched {
			break
		}
	}
	return matched != st.notAction
}

// matchResource compares the resource ARN case-sensitively; * and ? may
// match across colons. An entry whose policy variable cannot be resolved
// never matches; in a NotResource list it makes the statement not apply.
func (e *evaluator) matchResource(st *statement) bool {
	var buf [16]token
	matched := false
	for i := range st.resources {
		t := &st.resources[i]
		toks, ok := e.resolveTokens(t, buf[:])
		if !ok {
			if st.notResource {
				return false
			}
			continue
		}
		if matchTokens(toks, e.req.Resource, false) {
			matched = true
			break
		}
	}
	return matched != st.notResource
}
