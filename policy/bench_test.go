package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// benchDocument returns a policy with n exact-resource rules (every third one
// a DENY) and, when n > 2, four wildcard rules, plus the requests to
// evaluate: allowed and denied, exact and wildcard, and unmatched.
func benchDocument(n int) (string, []string) {
	if n <= 2 {
		return issueDoc, []string{"agent:tool:order-lookup", "agent:tool:admin-refund", "agent:tool:unknown"}
	}
	var rules []string
	for i := 0; i < n; i++ {
		effect := "ALLOW"
		if i%3 == 2 {
			effect = "DENY"
		}
		rules = append(rules, fmt.Sprintf(`{"effect":%q,"resourceType":"TOOL","resources":["agent:tool:t%04d"]}`, effect, i))
	}
	rules = append(rules,
		`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:crm-*"]}`,
		`{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:crm-admin-*"],"reason":"admin tools"}`,
		`{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:search:*"]}`,
		`{"effect":"DENY","resourceType":"TOOL","resources":["*:internal"]}`,
	)
	doc := `{"policyId":"POL-BENCH","tenantId":"Tenant-A","rules":[` + strings.Join(rules, ",") + `]}`
	return doc, []string{
		"agent:tool:t0000",          // exact allow
		"agent:tool:t0500",          // exact deny
		"agent:tool:t0999",          // exact allow
		"agent:tool:crm-lookup",     // wildcard allow
		"agent:tool:crm-admin-wipe", // wildcard deny over wildcard allow
		"agent:search:t0001:internal",
		"agent:tool:unknown", // no match
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{2, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			doc, reqs := benchDocument(n)
			p := MustCompile([]byte(doc))
			t := &tenantctx.Tenant{ID: "Tenant-A", Tier: "premium"}
			b.ReportAllocs()
			b.ResetTimer()
			var allowed int
			for i := 0; i < b.N; i++ {
				if p.Evaluate(t, ResourceTypeTool, reqs[i%len(reqs)]).Allowed {
					allowed++
				}
			}
			if allowed == 0 || allowed == b.N && b.N > len(reqs) {
				b.Fatal("benchmark requests must mix allow and deny")
			}
		})
	}
}

func BenchmarkFilter(b *testing.B) {
	doc, reqs := benchDocument(1000)
	p := MustCompile([]byte(doc))
	t := &tenantctx.Tenant{ID: "Tenant-A"}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Filter(t, ResourceTypeTool, reqs)
	}
}

func BenchmarkParseCompile(b *testing.B) {
	for _, n := range []int{2, 1000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			doc, _ := benchDocument(n)
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := Parse([]byte(doc))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Compile(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestBenchDocumentDecisions(t *testing.T) {
	t.Parallel()
	doc, reqs := benchDocument(1000)
	p := MustCompile([]byte(doc))
	tn := &tenantctx.Tenant{ID: "Tenant-A"}
	want := []bool{true, false, true, true, false, false, false}
	for i, r := range reqs {
		if got := p.Evaluate(tn, ResourceTypeTool, r).Allowed; got != want[i] {
			t.Errorf("%s: allowed=%v, want %v", r, got, want[i])
		}
	}
}

// BenchmarkEvaluateWildcards measures policies made mostly of patterns,
// where the radix index over literal prefixes keeps the cost independent of
// the number of patterns.
func BenchmarkEvaluateWildcards(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			var rules []string
			for i := 0; i < n; i++ {
				effect := "ALLOW"
				if i%3 == 2 {
					effect = "DENY"
				}
				rules = append(rules, fmt.Sprintf(`{"effect":%q,"resourceType":"TOOL","resources":["agent:tool:family%04d-*"]}`, effect, i))
			}
			rules = append(rules, `{"effect":"DENY","resourceType":"TOOL","resources":["*:internal"]}`)
			p := MustCompile([]byte(`{"policyId":"P","tenantId":"Tenant-A","rules":[` + strings.Join(rules, ",") + `]}`))
			reqs := []string{
				fmt.Sprintf("agent:tool:family%04d-read", n-1), // allow
				"agent:tool:family0002-read",                   // deny
				"agent:tool:family0000-x:internal",             // deny by suffix pattern
				"agent:tool:other",                             // no match
			}
			t := &tenantctx.Tenant{ID: "Tenant-A"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Evaluate(t, ResourceTypeTool, reqs[i%len(reqs)])
			}
		})
	}
}
