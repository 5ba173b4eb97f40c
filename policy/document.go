package policy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Effect is the effect of a [Rule]: [Allow] or [Deny].
type Effect string

const (
	// Allow grants access to the rule's resources.
	Allow Effect = "ALLOW"
	// Deny refuses access to the rule's resources. A matching DENY rule
	// overrides every ALLOW rule.
	Deny Effect = "DENY"
)

// ResourceTypeTool is the resource type of agent tools, as used in
// tool-access policy documents ("resourceType":"TOOL").
const ResourceTypeTool = "TOOL"

// Limits applied by [Parse], [Validate] and [Compile].
const (
	// MaxDocumentSize is the largest policy document Parse accepts, in bytes.
	MaxDocumentSize = 4 << 20
	// MaxPolicyIDLen is the longest policy id.
	MaxPolicyIDLen = 128
	// MaxResourceLen is the longest resource name or pattern.
	MaxResourceLen = 512
	// MaxReasonLen is the longest rule reason.
	MaxReasonLen = 512
	// MaxAttrLen is the longest resource type, tier, entitlement or scope.
	MaxAttrLen = 128
)

// ErrInvalidPolicy reports a policy document that is malformed or breaks a
// rule of the format. Every [*FieldError] and [*ValidationError] wraps it.
var ErrInvalidPolicy = errors.New("policy: invalid policy document")

// ErrDuplicatePolicy reports two documents of one set that share a policy id
// or a tenant id. [ValidateSet] returns errors that wrap it.
var ErrDuplicatePolicy = errors.New("policy: duplicate policy")

// Document is a tool-access policy document exactly as users write it:
//
//	{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
//	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},
//	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}
//
// Use [Parse] to read one from JSON and [Compile] to turn it into an
// evaluator.
type Document struct {
	// PolicyID identifies the document; unique within a registry.
	PolicyID string `json:"policyId"`
	// TenantID is the only tenant the policy applies to. It must be valid
	// under [tenantctx.ValidateID].
	TenantID string `json:"tenantId"`
	// Rules are evaluated together: a matching DENY wins over any matching
	// ALLOW; no matching rule means deny.
	Rules []Rule `json:"rules"`
}

// Rule grants or refuses access to a set of resources of one type.
type Rule struct {
	// Effect is ALLOW or DENY (upper case).
	Effect Effect `json:"effect"`
	// ResourceType is the type of the resources, for example [ResourceTypeTool].
	ResourceType string `json:"resourceType"`
	// Resources are exact names or patterns in which '*' matches any run of
	// characters (including none). Matching is case-sensitive.
	Resources []string `json:"resources"`
	// Reason is reported in the [Decision] when this rule decides.
	Reason string `json:"reason,omitempty"`
	// Condition, when set, restricts the rule to tenants whose attributes
	// satisfy it. A rule whose condition does not hold does not match.
	Condition *Condition `json:"condition,omitempty"`
}

// Condition restricts a rule to tenants with certain attributes, taken from
// the verified [tenantctx.Tenant]. Every field that is set must hold (AND).
// At least one field must be set.
type Condition struct {
	// Tiers: the tenant's Tier must equal one of these (OR).
	Tiers []string `json:"tiers,omitempty"`
	// Entitlements: the tenant must have every one of these entitlements or
	// feature flags (AND).
	Entitlements []string `json:"entitlements,omitempty"`
	// Scopes: the tenant's token must grant every one of these scopes (AND).
	Scopes []string `json:"scopes,omitempty"`
}

// FieldError is one problem found in a policy document, located by a
// JSONPath-like expression such as "$.rules[1].effect". It wraps
// [ErrInvalidPolicy].
type FieldError struct {
	// Path locates the problem in the document, "$" being the document itself.
	Path string
	// Msg describes the problem.
	Msg string
}

// Error implements the error interface.
func (e *FieldError) Error() string { return "policy: " + e.Path + ": " + e.Msg }

// Unwrap returns [ErrInvalidPolicy].
func (e *FieldError) Unwrap() error { return ErrInvalidPolicy }

// ValidationError lists every problem found in one policy document. It is
// returned by [Parse] and [Compile] and wraps [ErrInvalidPolicy] and each
// of its [*FieldError] values.
type ValidationError struct {
	// Source names the document (a file name, for example), or is empty.
	Source string
	// Problems are in document order; there is at least one.
	Problems []*FieldError

	// what names the kind of document; "" means a policy document.
	what string
}

// Error implements the error interface; it reports every problem.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("policy: invalid ")
	if e.what != "" {
		b.WriteString(e.what)
	} else {
		b.WriteString("policy document")
	}
	if e.Source != "" {
		b.WriteString(" ")
		b.WriteString(e.Source)
	}
	fmt.Fprintf(&b, " (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString(")")
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.Path)
		b.WriteString(": ")
		b.WriteString(p.Msg)
	}
	return b.String()
}

// Unwrap returns [ErrInvalidPolicy] followed by every problem.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, 0, len(e.Problems)+1)
	errs = append(errs, ErrInvalidPolicy)
	for _, p := range e.Problems {
		errs = append(errs, p)
	}
	return errs
}

// problems collects field errors, at most one per path.
type problems struct {
	list []*FieldError
	seen map[string]bool
}

func (p *problems) add(path, format string, args ...any) {
	if p.seen[path] {
		return
	}
	// A problem inside a value that already has one is noise.
	for i := 1; i < len(path); i++ {
		if (path[i] == '.' || path[i] == '[') && p.seen[path[:i]] {
			return
		}
	}
	if p.seen == nil {
		p.seen = make(map[string]bool)
	}
	p.seen[path] = true
	p.list = append(p.list, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err(source string) error {
	if len(p.list) == 0 {
		return nil
	}
	slices.SortStableFunc(p.list, func(a, b *FieldError) int { return comparePaths(a.Path, b.Path) })
	return &ValidationError{Source: source, Problems: p.list}
}

// fieldRank orders the fields of the format as they are usually written.
var fieldRank = map[string]int{
	"policyId": 1, "tenantId": 2, "rules": 3,
	"effect": 1, "resourceType": 2, "resources": 3, "reason": 4, "condition": 5,
	"tiers": 1, "entitlements": 2, "scopes": 3,
}

// comparePaths orders problem paths in document order: a value before its
// members, known fields in their usual order, unknown fields after them,
// array elements by index.
func comparePaths(a, b string) int {
	for {
		if a == b {
			return 0
		}
		sa, ra := nextSegment(a)
		sb, rb := nextSegment(b)
		if sa == "" || sb == "" {
			return cmp.Compare(len(sa), len(sb))
		}
		if sa != sb {
			return compareSegments(sa, sb)
		}
		a, b = ra, rb
	}
}

// nextSegment splits the first segment ("$", ".name" or "[n]") off path.
func nextSegment(path string) (seg, rest string) {
	if path == "" {
		return "", ""
	}
	for i := 1; i < len(path); i++ {
		if path[i] == '.' || path[i] == '[' {
			return path[:i], path[i:]
		}
	}
	return path, ""
}

func compareSegments(a, b string) int {
	if a[0] == '[' && b[0] == '[' {
		na, _ := strconv.Atoi(strings.Trim(a, "[]"))
		nb, _ := strconv.Atoi(strings.Trim(b, "[]"))
		return cmp.Compare(na, nb)
	}
	ka, kb := fieldRank[strings.TrimPrefix(a, ".")], fieldRank[strings.TrimPrefix(b, ".")]
	if ka == 0 {
		ka = 100
	}
	if kb == 0 {
		kb = 100
	}
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	return strings.Compare(a, b)
}

// quote returns s quoted for an error message, shortened when long.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// Validate reports every problem of the policy document data at once: JSON
// syntax, unknown or duplicate fields, wrong types, missing fields, bad
// effects, empty or malformed resources and conditions. It returns nil when
// the document is valid. Each returned error is a [*FieldError] (or, for
// syntax errors and oversized input, an error wrapping [ErrInvalidPolicy]).
func Validate(data []byte) []error {
	_, err := Parse(data)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		out := make([]error, len(ve.Problems))
		for i, p := range ve.Problems {
			out[i] = p
		}
		return out
	}
	return []error{err}
}

// Validate reports every problem of d, as [Compile] would, or nil.
func (d *Document) Validate() error {
	var p problems
	validateDocument(d, &p)
	return p.err("")
}

// ValidateSet checks documents that are meant to be used together, as in a
// registry: each must be valid, no two may share a policy id, and no two may
// be for the same tenant (a tenant has exactly one policy). Every problem is
// reported; the paths are prefixed with the document's position, as in
// "$[2].policyId". Errors about duplicates wrap [ErrDuplicatePolicy].
func ValidateSet(docs []*Document) error {
	var errs []error
	ids := make(map[string]int)
	tenants := make(map[string]int)
	for i, d := range docs {
		if d == nil {
			errs = append(errs, &FieldError{Path: fmt.Sprintf("$[%d]", i), Msg: "nil document"})
			continue
		}
		var p problems
		validateDocument(d, &p)
		for _, fe := range p.list {
			errs = append(errs, &FieldError{Path: fmt.Sprintf("$[%d]", i) + strings.TrimPrefix(fe.Path, "$"), Msg: fe.Msg})
		}
		if j, ok := ids[d.PolicyID]; ok && d.PolicyID != "" {
			errs = append(errs, &DuplicateError{Path: fmt.Sprintf("$[%d].policyId", i), Field: "policyId", Value: d.PolicyID, First: fmt.Sprintf("$[%d]", j)})
		} else {
			ids[d.PolicyID] = i
		}
		if j, ok := tenants[d.TenantID]; ok && d.TenantID != "" {
			errs = append(errs, &DuplicateError{Path: fmt.Sprintf("$[%d].tenantId", i), Field: "tenantId", Value: d.TenantID, First: fmt.Sprintf("$[%d]", j)})
		} else {
			tenants[d.TenantID] = i
		}
	}
	return errors.Join(errs...)
}

// DuplicateError reports a policy id or tenant id used by two documents of
// one set. It wraps [ErrDuplicatePolicy] and [ErrInvalidPolicy].
type DuplicateError struct {
	// Path locates the second occurrence, for example "$[3].policyId" or a
	// file name.
	Path string
	// Field is "policyId" or "tenantId".
	Field string
	// Value is the duplicated id.
	Value string
	// First locates the first occurrence.
	First string
}

// Error implements the error interface.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("policy: %s: duplicate %s %s (first used by %s)", e.Path, e.Field, quote(e.Value), e.First)
}

// Unwrap returns [ErrDuplicatePolicy] and [ErrInvalidPolicy].
func (e *DuplicateError) Unwrap() []error { return []error{ErrDuplicatePolicy, ErrInvalidPolicy} }

func validateDocument(d *Document, p *problems) {
	if d == nil {
		p.add("$", "nil document")
		return
	}
	if msg := checkPolicyID(d.PolicyID); msg != "" {
		p.add("$.policyId", "%s", msg)
	}
	if err := tenantctx.ValidateID(d.TenantID); err != nil {
		if d.TenantID == "" {
			p.add("$.tenantId", "must not be empty")
		} else {
			p.add("$.tenantId", "invalid tenant id %s: 1 to %d ASCII letters, digits, '_' or '-', starting with a letter or digit", quote(d.TenantID), tenantctx.MaxIDLen)
		}
	}
	if d.Rules == nil {
		p.add("$.rules", "missing")
	}
	// Resource types are case-sensitive, so a rule whose type differs from
	// another's only in case would silently never apply to the requests
	// it was written for (a DENY for "tool" leaves "TOOL" tools allowed).
	// Such a typo is reported rather than compiled.
	var types map[string]string // lower-case → first spelling
	for i := range d.Rules {
		path := "$.rules[" + strconv.Itoa(i) + "]"
		validateRule(&d.Rules[i], path, p)
		rt := d.Rules[i].ResourceType
		if rt == "" {
			continue
		}
		if types == nil {
			types = make(map[string]string, 2)
		}
		folded := strings.ToLower(rt)
		if first, ok := types[folded]; !ok {
			types[folded] = rt
		} else if first != rt {
			p.add(path+".resourceType", "%s differs only in case from %s used by an earlier rule; resource types are case-sensitive", quote(rt), quote(first))
		}
	}
}

func validateRule(r *Rule, path string, p *problems) {
	switch r.Effect {
	case Allow, Deny:
	case "":
		p.add(path+".effect", "missing; must be \"ALLOW\" or \"DENY\"")
	default:
		p.add(path+".effect", "must be \"ALLOW\" or \"DENY\" (upper case), got %s", quote(string(r.Effect)))
	}
	if msg := checkAttr(r.ResourceType); msg != "" {
		p.add(path+".resourceType", "%s", msg)
	} else if strings.Contains(r.ResourceType, "*") {
		p.add(path+".resourceType", "must not contain '*'")
	}
	if len(r.Resources) == 0 {
		p.add(path+".resources", "must list at least one resource")
	}
	var seen map[string]int
	if len(r.Resources) > 1 {
		seen = make(map[string]int, len(r.Resources))
	}
	for i, res := range r.Resources {
		if msg := checkPattern(res); msg != "" {
			p.add(path+".resources["+strconv.Itoa(i)+"]", "%s", msg)
			continue
		}
		if seen == nil {
			continue
		}
		if j, dup := seen[res]; dup {
			p.add(path+".resources["+strconv.Itoa(i)+"]", "duplicate resource %s (also at index %d)", quote(res), j)
			continue
		}
		seen[res] = i
	}
	if len(r.Reason) > MaxReasonLen {
		p.add(path+".reason", "longer than %d bytes", MaxReasonLen)
	} else if msg := checkText(r.Reason); msg != "" {
		p.add(path+".reason", "%s", msg)
	}
	if r.Condition != nil {
		validateCondition(r.Condition, path+".condition", p)
	}
}

func validateCondition(c *Condition, path string, p *problems) {
	if c.Tiers == nil && c.Entitlements == nil && c.Scopes == nil {
		p.add(path, "must set at least one of \"tiers\", \"entitlements\", \"scopes\"")
		return
	}
	list := func(name string, vals []string) {
		if vals != nil && len(vals) == 0 {
			p.add(path+"."+name, "must not be empty when present")
		}
		for i, v := range vals {
			if msg := checkAttr(v); msg != "" {
				p.add(fmt.Sprintf("%s.%s[%d]", path, name, i), "%s", msg)
			}
		}
	}
	list("tiers", c.Tiers)
	list("entitlements", c.Entitlements)
	list("scopes", c.Scopes)
}

// ValidatePolicyID reports whether id is an acceptable policy id: 1 to
// [MaxPolicyIDLen] bytes of ASCII letters, digits, '_', '-', '.' and ':',
// starting with a letter or digit. The error wraps [ErrInvalidPolicy].
func ValidatePolicyID(id string) error {
	if msg := checkPolicyID(id); msg != "" {
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, msg)
	}
	return nil
}

func checkPolicyID(id string) string {
	if id == "" {
		return "policy id must not be empty"
	}
	if len(id) > MaxPolicyIDLen {
		return fmt.Sprintf("policy id longer than %d bytes", MaxPolicyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return "policy id must start with an ASCII letter or digit"
		}
		if !alnum && c != '_' && c != '-' && c != '.' && c != ':' {
			return "policy id may contain only ASCII letters, digits, '_', '-', '.' and ':'"
		}
	}
	return ""
}

// checkAttr validates a resource type, tier, entitlement or scope: 1 to
// MaxAttrLen printable ASCII characters without spaces.
func checkAttr(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > MaxAttrLen {
		return fmt.Sprintf("longer than %d bytes", MaxAttrLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Sprintf("%s: only printable ASCII without spaces is allowed", quote(s))
		}
	}
	return ""
}

// checkText validates free text: valid UTF-8 without control characters.
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		if r < ' ' || r >= 0x7f && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			return "contains a control character"
		}
	}
	return ""
}

// reservedPatternChars are glob metacharacters of other syntaxes. They are
// rejected so that a pattern written for another engine fails loudly instead
// of silently matching them literally.
const reservedPatternChars = "?[]{}\\"

// checkPattern validates a resource name or pattern and returns a problem
// description, or "" when it is acceptable.
func checkPattern(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > MaxResourceLen {
		return fmt.Sprintf("longer than %d bytes", MaxResourceLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return fmt.Sprintf("%s: only printable ASCII without spaces is allowed", quote(s))
		}
		if strings.IndexByte(reservedPatternChars, c) >= 0 {
			return fmt.Sprintf("%s: %q is reserved; '*' is the only wildcard", quote(s), c)
		}
		if c == '*' && i+1 < len(s) && s[i+1] == '*' {
			return fmt.Sprintf("%s: consecutive '*' are not allowed; a single '*' already matches any run of characters", quote(s))
		}
	}
	return ""
}

// Clone returns a deep copy of d.
func (d *Document) Clone() *Document {
	if d == nil {
		return nil
	}
	c := &Document{PolicyID: d.PolicyID, TenantID: d.TenantID}
	if d.Rules != nil {
		c.Rules = make([]Rule, len(d.Rules))
		for i, r := range d.Rules {
			r.Resources = cloneStrings(r.Resources)
			if r.Condition != nil {
				r.Condition = &Condition{
					Tiers:        cloneStrings(r.Condition.Tiers),
					Entitlements: cloneStrings(r.Condition.Entitlements),
					Scopes:       cloneStrings(r.Condition.Scopes),
				}
			}
			c.Rules[i] = r
		}
	}
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}
