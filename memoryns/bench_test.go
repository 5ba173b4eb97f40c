package memoryns

import (
	"context"
	"testing"

	"github.com/tenantkit/tenantkit/tenantctx"
)

var (
	sinkNS  Namespace
	sinkErr error
)

// BenchmarkBuild builds a session namespace, the deepest level.
func BenchmarkBuild(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkNS, sinkErr = s.Session("tenant_123", "user_456", "session-789")
	}
	if sinkErr != nil {
		b.Fatal(sinkErr)
	}
}

// BenchmarkCheck checks a write of the principal's own session with a
// precomputed Scope; it must not allocate.
func BenchmarkCheck(b *testing.B) {
	s, err := New(Config{ReadStrategies: []string{"support", "billing"}})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := s.ScopeFor(&tenantctx.Tenant{ID: "tenant_123", Subject: "user_456"})
	if err != nil {
		b.Fatal(err)
	}
	ns, err := s.Session("tenant_123", "user_456", "session-789")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = sc.Check(OpWrite, ns)
	}
	if sinkErr != nil {
		b.Fatal(sinkErr)
	}
}

// BenchmarkCheckContext is Scheme.Check: tenant lookup in ctx, scope
// derivation and the check.
func BenchmarkCheckContext(b *testing.B) {
	s, err := New(Config{ReadStrategies: []string{"support", "billing"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_123", Subject: "user_456"})
	ns, err := s.Session("tenant_123", "user_456", "session-789")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = s.Check(ctx, OpWrite, ns)
	}
	if sinkErr != nil {
		b.Fatal(sinkErr)
	}
}

// BenchmarkParse parses an AgentCore session namespace.
func BenchmarkParse(b *testing.B) {
	s, err := New(Config{Template: AgentCoreTemplate()})
	if err != nil {
		b.Fatal(err)
	}
	const in = "/strategies/semantic-1/actors/tenant_123:user_456/sessions/session-789/"
	b.ReportAllocs()
	for b.Loop() {
		sinkNS, sinkErr = s.Parse(in)
	}
	if sinkErr != nil {
		b.Fatal(sinkErr)
	}
}
