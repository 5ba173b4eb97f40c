package iam

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator with its negation, IfExists suffix and
// set qualifier stripped.
type opKind uint8

const (
	opStringEquals opKind = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opArn // ArnEquals and ArnLike behave the same in AWS
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNull
)

// baseOperator maps an operator name (no qualifier, no IfExists) to its kind.
func baseOperator(name string) (op opKind, negated, ok bool) {
	switch name {
	case "StringEquals":
		return opStringEquals, false, true
	case "StringNotEquals":
		return opStringEquals, true, true
	case "StringEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, false, true
	case "StringNotEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, true, true
	case "StringLike":
		return opStringLike, false, true
	case "StringNotLike":
		return opStringLike, true, true
	case "ArnEquals", "ArnLike":
		return opArn, false, true
	case "ArnNotEquals", "ArnNotLike":
		return opArn, true, true
	case "NumericEquals":
		return opNumericEquals, false, true
	case "NumericNotEquals":
		return opNumericEquals, true, true
	case "NumericLessThan":
		return opNumericLessThan, false, true
	case "NumericLessThanEquals":
		return opNumericLessThanEquals, false, true
	case "NumericGreaterThan":
		return opNumericGreaterThan, false, true
	case "NumericGreaterThanEquals":
		return opNumericGreaterThanEquals, false, true
	case "DateEquals":
		return opDateEquals, false, true
	case "DateNotEquals":
		return opDateEquals, true, true
	case "DateLessThan":
		return opDateLessThan, false, true
	case "DateLessThanEquals":
		return opDateLessThanEquals, false, true
	case "DateGreaterThan":
		return opDateGreaterThan, false, true
	case "DateGreaterThanEquals":
		return opDateGreaterThanEquals, false, true
	case "Bool":
		return opBool, false, true
	case "BinaryEquals":
		return opBinaryEquals, false, true
	case "IpAddress":
		return opIPAddress, false, true
	case "NotIpAddress":
		return opIPAddress, true, true
	case "Null":
		return opNull, false, true
	}
	return 0, false, false
}

type setQual uint8

const (
	setNone setQual = iota
	setAny          // ForAnyValue:
	setAll          // ForAllValues:
)

// condition is one compiled (operator, key, values) triple. All conditions
// of a statement must hold.
type condition struct {
	op       opKind
	negated  bool
	ifExists bool
	set      setQual
	key      ctxKey
	vals     []condValue
	hasVars  bool
}

type condValue struct {
	tmpl   template // String*, Arn*
	num    float64
	t      time.Time
	b      bool
	prefix netip.Prefix
	bin    []byte
}

func parseOperator(name string) (c condition, msg string) {
	rest := name
	if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
		c.set, rest = setAny, r
	} else if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
		c.set, rest = setAll, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok {
		c.ifExists, rest = true, r
	}
	op, neg, ok := baseOperator(rest)
	if !ok {
		return c, "unknown condition operator " + quote(name)
	}
	if op == opNull && (c.ifExists || c.set != setNone) {
		return c, "the Null operator takes neither IfExists nor ForAnyValue/ForAllValues"
	}
	c.op, c.negated = op, neg
	return c, ""
}

// compileValue validates one condition value for c's operator.
func compileValue(c *condition, raw string, vars bool) (condValue, string) {
	var cv condValue
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArn:
		t, msg := compileTemplate(raw, c.op == opStringLike || c.op == opArn, vars)
		if msg != "" {
			return cv, msg
		}
		if c.op == opArn && t.static && arnSegments(t.toks) < 6 {
			return cv, quote(raw) + " is not an ARN pattern (want arn:partition:service:region:account:resource)"
		}
		if !t.static {
			c.hasVars = true
		}
		cv.tmpl = t
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, ok := parseNumber(raw)
		if !ok {
			return cv, quote(raw) + " is not a number"
		}
		cv.num = f
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(raw)
		if !ok {
			return cv, quote(raw) + " is not an ISO 8601 date or epoch seconds"
		}
		cv.t = t
	case opBool, opNull:
		b, ok := parseBool(raw)
		if !ok {
			return cv, quote(raw) + " is not true or false"
		}
		cv.b = b
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return cv, quote(raw) + " is not base64"
		}
		cv.bin = b
	case opIPAddress:
		p, ok := parsePrefix(raw)
		if !ok {
			return cv, quote(raw) + " is not an IP address or CIDR block"
		}
		cv.prefix = p
	}
	return cv, ""
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// Date layouts accepted besides epoch seconds: ISO 8601 as AWS documents it
// (aws:CurrentTime is RFC 3339 in UTC). Times without a zone are UTC.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// evalCond evaluates one condition following AWS's documented rules:
//
//   - Null tests presence only.
//   - A key absent from the request: …IfExists → true; ForAllValues → true;
//     ForAnyValue → false; otherwise false, or true for a negated operator.
//   - A policy variable in the values that cannot be resolved → false.
//   - Several policy values are ORed. A negated operator holds when the
//     request value matches none of them.
//   - Several request values (a multi-valued key): without a qualifier the
//     positive operator holds when any request value matches (the negated
//     one when none does); ForAnyValue holds when at least one request value
//     satisfies the operator, ForAllValues when every one does.
func (e *evaluator) evalCond(c *condition) bool {
	v := e.lookup(c.key)
	if e.err != nil {
		return false
	}
	if c.op == opNull {
		return (v.n == 0) == c.vals[0].b
	}
	if v.n == 0 {
		switch {
		case c.ifExists, c.set == setAll:
			return true
		case c.set == setAny:
			return false
		}
		return c.negated
	}
	if c.hasVars && !e.varsResolve(c) {
		return false
	}
	switch c.set {
	case setAny:
		for i := 0; i < v.n; i++ {
			if e.matchAny(c, v.at(i)) != c.negated {
				return true
			}
		}
		return false
	case setAll:
		for i := 0; i < v.n; i++ {
			if e.matchAny(c, v.at(i)) == c.negated {
				return false
			}
		}
		return true
	}
	for i := 0; i < v.n; i++ {
		if e.matchAny(c, v.at(i)) {
			return !c.negated
		}
	}
	return c.negated
}

func (e *evaluator) varsResolve(c *condition) bool {
	for i := range c.vals {
		t := &c.vals[i].tmpl
		if t.static {
			continue
		}
		for j := range t.toks {
			if t.toks[j].kind == tVar {
				if _, ok := e.resolveVar(&t.toks[j]); !ok {
					return false
				}
			}
		}
	}
	return true
}

// matchAny reports whether the request value r matches at least one of the
// condition's values under the positive form of its operator.
func (e *evaluator) matchAny(c *condition, r string) bool {
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase:
		for i := range c.vals {
			s, ok := e.resolveString(&c.vals[i].tmpl)
			if !ok {
				continue
			}
			if c.op == opStringEquals && s == r || c.op == opStringEqualsIgnoreCase && strings.EqualFold(s, r) {
				return true
			}
		}
	case opStringLike, opArn:
		var buf [16]token
		for i := range c.vals {
			toks, ok := e.resolveTokens(&c.vals[i].tmpl, buf[:])
			if !ok {
				continue
			}
			if c.op == opStringLike && matchTokens(toks, r, false) || c.op == opArn && matchARN(toks, r) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, ok := parseNumber(r)
		if !ok {
			return false
		}
		for i := range c.vals {
			if compareHolds(c.op-opNumericEquals, cmpFloat(f, c.vals[i].num)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(r)
		if !ok {
			return false
		}
		for i := range c.vals {
			if compareHolds(c.op-opDateEquals, t.Compare(c.vals[i].t)) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(r)
		if !ok {
			return false
		}
		for i := range c.vals {
			if c.vals[i].b == b {
				return true
			}
		}
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(r)
		if err != nil {
			return false
		}
		for i := range c.vals {
			if bytes.Equal(c.vals[i].bin, b) {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(r)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for i := range c.vals {
			if c.vals[i].prefix.Contains(a) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareHolds applies a comparison (0 =, 1 <, 2 <=, 3 >, 4 >=, the order
// of the Numeric*/Date* opKinds) to a three-way comparison result.
func compareHolds(rel opKind, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}
