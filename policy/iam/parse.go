package iam

import (
	"strings"
	"unicode"
)

// Policy versions. Policy variables exist only in [Version2012].
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a compiled IAM policy document. It is immutable and safe for
// concurrent use; compile it once with [Parse] and evaluate it with
// [Evaluate] as often as needed.
type Policy struct {
	version string
	id      string
	stmts   []statement
}

// Version returns the document's Version, or "" when it had none.
func (p *Policy) Version() string { return p.version }

// ID returns the document's optional Id element.
func (p *Policy) ID() string { return p.id }

// Len returns the number of statements.
func (p *Policy) Len() int { return len(p.stmts) }

type statement struct {
	sid          string
	deny         bool
	notAction    bool
	actions      []template
	notResource  bool
	resources    []template
	principal    *principalSet // nil: no Principal/NotPrincipal element
	notPrincipal bool
	conds        []condition
}

// principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	any      bool
	ids      []string // exact principal identifiers
	accounts []string // 12-digit account ids: any principal of the account
}

// Parse validates and compiles one IAM policy document. Parsing is strict:
// unknown or duplicate members, a missing or misspelled Effect, both Action
// and NotAction (or neither), empty lists, unknown condition operators,
// values of the wrong type for their operator and malformed policy
// variables are errors. Every error is a *[ParseError] naming the JSON
// location and wraps [ErrInvalidPolicy].
func Parse(data []byte) (*Policy, error) {
	root, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, parseErr("", "policy document must be a JSON object, got "+kindName(root.kind))
	}
	p := &Policy{}
	var stmtNode *jnode
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString || (v.str != Version2012 && v.str != Version2008) {
				return nil, parseErr("Version", `must be "2012-10-17" or "2008-10-17"`)
			}
			p.version = v.str
		case "Id":
			if v.kind != jString {
				return nil, parseErr("Id", "must be a string")
			}
			p.id = v.str
		case "Statement":
			stmtNode = v
		default:
			return nil, parseErr(childPath("", k), "unknown policy element "+quote(k))
		}
	}
	if stmtNode == nil {
		return nil, parseErr("", `missing "Statement"`)
	}
	vars := p.version == Version2012
	var list []*jnode
	var paths []string
	switch stmtNode.kind {
	case jObject:
		list, paths = []*jnode{stmtNode}, []string{"Statement"}
	case jArray:
		if len(stmtNode.elems) == 0 {
			return nil, parseErr("Statement", "must not be empty")
		}
		list = stmtNode.elems
		for i := range list {
			paths = append(paths, indexPath("Statement", i))
		}
	default:
		return nil, parseErr("Statement", "must be an object or an array of objects")
	}
	sids := make(map[string]struct{})
	for i, n := range list {
		st, err := parseStatement(n, paths[i], vars)
		if err != nil {
			return nil, err
		}
		if st.sid != "" {
			if _, dup := sids[st.sid]; dup {
				return nil, parseErr(childPath(paths[i], "Sid"), "duplicate Sid "+quote(st.sid))
			}
			sids[st.sid] = struct{}{}
		}
		p.stmts = append(p.stmts, st)
	}
	return p, nil
}

func parseStatement(n *jnode, path string, vars bool) (statement, error) {
	var st statement
	if n.kind != jObject {
		return st, parseErr(path, "statement must be an object, got "+kindName(n.kind))
	}
	var haveEffect, haveAction, haveResource bool
	for i, k := range n.keys {
		v := n.vals[i]
		kp := childPath(path, k)
		switch k {
		case "Sid":
			if v.kind != jString {
				return st, parseErr(kp, "must be a string")
			}
			st.sid = v.str
		case "Effect":
			if v.kind != jString || (v.str != "Allow" && v.str != "Deny") {
				return st, parseErr(kp, `must be "Allow" or "Deny"`)
			}
			st.deny, haveEffect = v.str == "Deny", true
		case "Action", "NotAction":
			if haveAction {
				return st, parseErr(kp, "a statement has either Action or NotAction, not both")
			}
			haveAction, st.notAction = true, k == "NotAction"
			list, err := stringList(v, kp)
			if err != nil {
				return st, err
			}
			for j, a := range list {
				if msg := validAction(a); msg != "" {
					return st, parseErr(indexPathIf(kp, j, v), msg)
				}
				t, _ := compileTemplate(a, true, false) // validAction forbids "$"
				st.actions = append(st.actions, t)
			}
		case "Resource", "NotResource":
			if haveResource {
				return st, parseErr(kp, "a statement has either Resource or NotResource, not both")
			}
			haveResource, st.notResource = true, k == "NotResource"
			list, err := stringList(v, kp)
			if err != nil {
				return st, err
			}
			for j, r := range list {
				ep := indexPathIf(kp, j, v)
				if r != "*" && !strings.HasPrefix(r, "arn:") {
					return st, parseErr(ep, quote(r)+` is neither "*" nor an ARN`)
				}
				if hasControl(r) {
					return st, parseErr(ep, "contains a control character")
				}
				t, msg := compileTemplate(r, true, vars)
				if msg != "" {
					return st, parseErr(ep, msg)
				}
				st.resources = append(st.resources, t)
			}
		case "Principal", "NotPrincipal":
			if st.principal != nil {
				return st, parseErr(kp, "a statement has either Principal or NotPrincipal, not both")
			}
			ps, err := parsePrincipal(v, kp)
			if err != nil {
				return st, err
			}
			st.principal, st.notPrincipal = ps, k == "NotPrincipal"
		case "Condition":
			conds, err := parseConditionBlock(v, kp, vars)
			if err != nil {
				return st, err
			}
			st.conds = conds
		default:
			return st, parseErr(kp, "unknown statement element "+quote(k))
		}
	}
	switch {
	case !haveEffect:
		return st, parseErr(path, `missing "Effect"`)
	case !haveAction:
		return st, parseErr(path, `missing "Action" or "NotAction"`)
	case !haveResource:
		return st, parseErr(path, `missing "Resource" or "NotResource"`)
	}
	return st, nil
}

// indexPathIf names the j-th entry of a list element, or the element itself
// when it was a single string.
func indexPathIf(path string, j int, n *jnode) string {
	if n.kind == jArray {
		return indexPath(path, j)
	}
	return path
}

// stringList accepts a string or a non-empty array of strings.
func stringList(n *jnode, path string) ([]string, error) {
	switch n.kind {
	case jString:
		return []string{n.str}, nil
	case jArray:
		if len(n.elems) == 0 {
			return nil, parseErr(path, "must not be an empty array")
		}
		out := make([]string, len(n.elems))
		for i, e := range n.elems {
			if e.kind != jString {
				return nil, parseErr(indexPath(path, i), "must be a string, got "+kindName(e.kind))
			}
			out[i] = e.str
		}
		return out, nil
	}
	return nil, parseErr(path, "must be a string or an array of strings, got "+kindName(n.kind))
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// validAction accepts "*" and "service:Action" where the service prefix is
// [A-Za-z0-9-]+ and the action name is made of letters, digits, "-", "_",
// "." and the wildcards * and ?.
func validAction(a string) string {
	if a == "*" {
		return ""
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return quote(a) + ` is not "*" or "service:Action"`
	}
	for i := 0; i < len(svc); i++ {
		c := svc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "action " + quote(a) + " has an invalid service prefix"
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '*' || c == '?') {
			return "action " + quote(a) + " has an invalid character"
		}
	}
	return ""
}

func parsePrincipal(n *jnode, path string) (*principalSet, error) {
	if n.kind == jString {
		if n.str != "*" {
			return nil, parseErr(path, `must be "*" or an object such as {"AWS": "arn:…"}`)
		}
		return &principalSet{any: true}, nil
	}
	if n.kind != jObject || len(n.keys) == 0 {
		return nil, parseErr(path, `must be "*" or a non-empty object such as {"AWS": "arn:…"}`)
	}
	ps := &principalSet{}
	for i, k := range n.keys {
		kp := childPath(path, k)
		switch k {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, parseErr(kp, "unknown principal type "+quote(k))
		}
		list, err := stringList(n.vals[i], kp)
		if err != nil {
			return nil, err
		}
		for j, id := range list {
			ep := indexPathIf(kp, j, n.vals[i])
			switch {
			case id == "" || hasControl(id) || strings.TrimSpace(id) != id:
				return nil, parseErr(ep, "invalid principal "+quote(id))
			case id == "*" && k == "AWS":
				ps.any = true
			case strings.ContainsAny(id, "*?"):
				return nil, parseErr(ep, "wildcards are not allowed in principals (use a condition on aws:PrincipalArn)")
			case k == "AWS" && isAccountID(id):
				ps.accounts = append(ps.accounts, id)
			case k == "AWS" && strings.HasPrefix(id, "arn:"):
				if acct, ok := rootAccount(id); ok {
					ps.accounts = append(ps.accounts, acct)
				} else {
					ps.ids = append(ps.ids, id)
				}
			case k == "AWS":
				return nil, parseErr(ep, quote(id)+` is neither an account id, an ARN nor "*"`)
			default:
				ps.ids = append(ps.ids, id)
			}
		}
	}
	return ps, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// arnField returns the i-th colon-separated field of an ARN.
func arnField(arn string, i int) (string, bool) {
	for ; i > 0; i-- {
		j := strings.IndexByte(arn, ':')
		if j < 0 {
			return "", false
		}
		arn = arn[j+1:]
	}
	if j := strings.IndexByte(arn, ':'); j >= 0 {
		return arn[:j], true
	}
	return arn, true
}

// rootAccount recognizes arn:PARTITION:iam::ACCOUNT:root.
func rootAccount(arn string) (string, bool) {
	svc, _ := arnField(arn, 2)
	acct, _ := arnField(arn, 4)
	res, _ := arnField(arn, 5)
	if svc == "iam" && isAccountID(acct) && res == "root" && strings.Count(arn, ":") == 5 {
		return acct, true
	}
	return "", false
}

func (ps *principalSet) matches(principal string) bool {
	if ps.any {
		return true
	}
	if principal == "" {
		return false
	}
	for _, id := range ps.ids {
		if id == principal {
			return true
		}
	}
	if len(ps.accounts) > 0 && strings.HasPrefix(principal, "arn:") {
		acct, _ := arnField(principal, 4)
		for _, a := range ps.accounts {
			if a == acct {
				return true
			}
		}
	}
	return false
}

func parseConditionBlock(n *jnode, path string, vars bool) ([]condition, error) {
	if n.kind != jObject {
		return nil, parseErr(path, "must be an object of operator → {key → values}")
	}
	var out []condition
	for i, opName := range n.keys {
		op := n.vals[i]
		opPath := childPath(path, opName)
		proto, msg := parseOperator(opName)
		if msg != "" {
			return nil, parseErr(opPath, msg)
		}
		if op.kind != jObject || len(op.keys) == 0 {
			return nil, parseErr(opPath, "must be a non-empty object of context key → values")
		}
		for j, keyName := range op.keys {
			kp := childPath(opPath, keyName)
			key, msg := parseCtxKey(keyName)
			if msg != "" {
				return nil, parseErr(kp, msg)
			}
			c := proto
			c.key = key
			raws, err := conditionValues(op.vals[j], kp)
			if err != nil {
				return nil, err
			}
			if c.op == opNull && len(raws) != 1 {
				return nil, parseErr(kp, "the Null operator takes exactly one value, true or false")
			}
			for vi, raw := range raws {
				cv, msg := compileValue(&c, raw, vars)
				if msg != "" {
					return nil, parseErr(indexPathIf(kp, vi, op.vals[j]), msg)
				}
				c.vals = append(c.vals, cv)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues accepts a scalar (string, number or boolean) or a
// non-empty array of scalars and returns their text.
func conditionValues(n *jnode, path string) ([]string, error) {
	scalar := func(e *jnode, p string) (string, error) {
		switch e.kind {
		case jString, jNumber:
			return e.str, nil
		case jBool:
			if e.b {
				return "true", nil
			}
			return "false", nil
		}
		return "", parseErr(p, "condition value must be a string, number or boolean, got "+kindName(e.kind))
	}
	if n.kind != jArray {
		s, err := scalar(n, path)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	if len(n.elems) == 0 {
		return nil, parseErr(path, "must not be an empty array")
	}
	out := make([]string, len(n.elems))
	for i, e := range n.elems {
		s, err := scalar(e, indexPath(path, i))
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
