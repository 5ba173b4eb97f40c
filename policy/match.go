package policy

import (
	"strings"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// pattern is a compiled resource pattern in which '*' matches any run of
// characters. It is split at the stars into a literal prefix, literal middle
// segments and a literal suffix.
type pattern struct {
	prefix string
	middle []string
	suffix string
	// min is the shortest name the pattern can match.
	min int
	// exact is set for a pattern without '*', which matches only itself.
	exact bool
}

func compilePattern(s string) pattern {
	parts := strings.Split(s, "*")
	if len(parts) == 1 {
		return pattern{prefix: s, min: len(s), exact: true}
	}
	p := pattern{prefix: parts[0], suffix: parts[len(parts)-1]}
	if len(parts) > 2 {
		p.middle = parts[1 : len(parts)-1]
	}
	for _, part := range parts {
		p.min += len(part)
	}
	return p
}

// match reports whether name matches the pattern. It runs in time linear in
// len(name) times the number of segments and never backtracks: for '*'-only
// globs the leftmost occurrence of each middle segment is always a safe
// choice.
func (p *pattern) match(name string) bool {
	if p.exact {
		return name == p.prefix
	}
	if len(name) < p.min || !strings.HasPrefix(name, p.prefix) || !strings.HasSuffix(name, p.suffix) {
		return false
	}
	rest := name[len(p.prefix) : len(name)-len(p.suffix)]
	for _, seg := range p.middle {
		i := strings.Index(rest, seg)
		if i < 0 {
			return false
		}
		rest = rest[i+len(seg):]
	}
	return true
}

// MatchPattern reports whether name matches pattern, in which '*' matches
// any run of characters (including none) and every other character matches
// itself, case-sensitively. It is the matching used for rule resources.
func MatchPattern(pattern, name string) bool {
	p := compilePattern(pattern)
	return p.match(name)
}

// linearMax is the number of patterns up to which a patternSet is scanned
// in document order; larger sets are indexed by their literal prefix.
const linearMax = 16

// noRule is larger than every rule index.
const noRule = int32(1<<31 - 1)

type rulePattern struct {
	rule int32
	pat  pattern
}

// patternSet holds the wildcard patterns of one effect and resource type.
// Small sets are scanned in document order. Large sets are also indexed by
// a radix tree over the patterns' literal prefixes, so that only patterns
// whose prefix is a prefix of the name are tried: the cost grows with the
// length of the name, not with the number of patterns.
type patternSet struct {
	pats []rulePattern // document order
	root *radixNode    // nil when len(pats) <= linearMax
}

type radixNode struct {
	pats  []int32 // indexes into patternSet.pats of patterns whose prefix ends here
	edges []radixEdge
}

type radixEdge struct {
	label string
	child *radixNode
}

func (s *patternSet) add(rule int32, p string) {
	s.pats = append(s.pats, rulePattern{rule: rule, pat: compilePattern(p)})
}

// index builds the radix tree when the set is large.
func (s *patternSet) index() {
	if len(s.pats) <= linearMax {
		return
	}
	s.root = &radixNode{}
	for i := range s.pats {
		s.root.insert(s.pats[i].pat.prefix, int32(i))
	}
}

func (n *radixNode) insert(key string, idx int32) {
	for {
		if key == "" {
			n.pats = append(n.pats, idx)
			return
		}
		var e *radixEdge
		for i := range n.edges {
			if n.edges[i].label[0] == key[0] {
				e = &n.edges[i]
				break
			}
		}
		if e == nil {
			n.edges = append(n.edges, radixEdge{label: key, child: &radixNode{pats: []int32{idx}}})
			return
		}
		common := 0
		for common < len(e.label) && common < len(key) && e.label[common] == key[common] {
			common++
		}
		if common < len(e.label) {
			e.child = &radixNode{edges: []radixEdge{{label: e.label[common:], child: e.child}}}
			e.label = e.label[:common]
		}
		n, key = e.child, key[common:]
	}
}

// first returns the lowest rule index below limit of a pattern that matches
// name and whose rule's condition holds for t (or noRule), and the lowest
// rule index below limit of a matching pattern whose condition does not
// hold (or noRule).
func (s *patternSet) first(rules []compiledRule, t *tenantctx.Tenant, name string, limit int32) (hit, unmet int32) {
	hit, unmet = noRule, noRule
	if s.root == nil {
		for i := range s.pats {
			rp := &s.pats[i]
			if rp.rule >= limit {
				break // document order: every later rule has a larger index
			}
			if rp.pat.match(name) {
				if rules[rp.rule].cond.holds(t) {
					return rp.rule, unmet
				}
				if rp.rule < unmet {
					unmet = rp.rule
				}
			}
		}
		return hit, unmet
	}
	n, rest := s.root, name
	for {
		for _, pi := range n.pats {
			rp := &s.pats[pi]
			if rp.rule >= limit || rp.rule >= hit || !rp.pat.match(name) {
				continue
			}
			if rules[rp.rule].cond.holds(t) {
				hit = rp.rule
			} else if rp.rule < unmet {
				unmet = rp.rule
			}
		}
		if rest == "" {
			return hit, unmet
		}
		var next *radixEdge
		for i := range n.edges {
			if n.edges[i].label[0] == rest[0] {
				next = &n.edges[i]
				break
			}
		}
		if next == nil || !strings.HasPrefix(rest, next.label) {
			return hit, unmet
		}
		n, rest = next.child, rest[len(next.label):]
	}
}
