package memoryns

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Patterns and length limits from the AgentCore Memory API reference
// (CreateEvent, MemoryRecord, ListMemoryRecords), anchored, with '-' moved
// to the end of each class so that it is literal in RE2.
var (
	agentCoreNamespace = regexp.MustCompile(`^[a-zA-Z0-9/*][a-zA-Z0-9_/*-]*(?::[a-zA-Z0-9_/*-]+)*[a-zA-Z0-9_/*-]*$`)
	agentCoreActorID   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_/-]*(?::[a-zA-Z0-9_/-]+)*[a-zA-Z0-9_/-]*$`)
	agentCoreSimpleID  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`) // sessionId, memoryStrategyId
)

// agentCoreCompatible reports why n would be refused by AgentCore Memory,
// or "" if it would be accepted.
func agentCoreCompatible(n Namespace) string {
	if len(n.String()) > 1024 || !agentCoreNamespace.MatchString(n.String()) {
		return "namespace"
	}
	if a := n.ActorID(); a != "" && (len(a) > 255 || !agentCoreActorID.MatchString(a)) {
		return "actorId"
	}
	for _, id := range []string{n.SessionID(), n.StrategyID()} {
		if id != "" && (len(id) > 100 || !agentCoreSimpleID.MatchString(id)) {
			return "sessionId/memoryStrategyId"
		}
	}
	return ""
}

func TestAgentCoreCompatibility(t *testing.T) {
	t.Parallel()
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	for name, s := range testSchemes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			refs := []Ref{
				{Level: LevelGlobal},
				{Level: LevelStrategy, StrategyID: long("s", MaxStrategyIDLen)},
				{Level: LevelTenant, TenantID: "t1"},
			}
			strat := ""
			if s.Layout() == LayoutAgentCore {
				strat = long("S", MaxStrategyIDLen)
			}
			tenant := long("T", MaxTenantIDLen)
			if s.silo {
				tenant = "t1"
			}
			refs = append(refs,
				Ref{Level: LevelUser, StrategyID: strat, TenantID: tenant, UserID: long("u", MaxUserIDLen)},
				Ref{Level: LevelSession, StrategyID: strat, TenantID: tenant, UserID: long("u", MaxUserIDLen), SessionID: long("x", MaxSessionIDLen)},
			)
			if s.Layout() == LayoutAgentCore {
				refs = append(refs, Ref{Level: LevelSession, StrategyID: "a-_", TenantID: "t1", UserID: "user_-", SessionID: "9-_"})
			}
			for _, r := range refs {
				n, err := s.Build(r)
				require.NoError(t, err, r)
				assert.Empty(t, agentCoreCompatible(n), n.String())
				assert.Less(t, len(n.String()), 512)
			}
		})
	}
}
