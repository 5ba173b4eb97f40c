package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/policy/gateway/mcpsdk"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// toolNames are the tools of the shared MCP server. Every tenant talks to
// the same server; what each may see and call is decided per request by
// its policy (policies/tenant-*.json), never by the server's tool list.
var toolNames = []string{"order-lookup", "admin-refund", "crm-search", "crm-export"}

// toolOutput is what every tool returns: which tenant and user it served,
// and through which agents. The tool reads all of it from the verified
// token, not from anything the caller claims.
type toolOutput struct {
	Tool   string   `json:"tool"`
	Tenant string   `json:"tenant"`
	User   string   `json:"user"`
	Via    []string `json:"via"`
}

// decision is one gateway decision, as reported by gateway.Config.OnDecision
// (the audit hook).
type decision struct {
	tenant, user, resource string
	policy.Decision
}

// toolServer is the MCP hop of the pool pattern. One request passes, in order:
//
//	tenantctx.Middleware       verify the exchanged token (audience mcp-tools);
//	                           401 without a valid token, 403 if X-Tenant-ID disagrees
//	gateway.MCP                tools/list filtered to the tenant's tools;
//	                           tools/call of any other tool refused here,
//	                           so the tool handler never runs
//	auth.RequireBearerToken    hands the verified tenant to the MCP SDK
//	mcp server                 the official Go MCP SDK, unaware of tenants
type toolServer struct {
	srv      *loopback
	verifier *tenantctx.Verifier
	runs     map[string]*atomic.Int64    // how often each tool handler ran
	docs     map[string]*policy.Document // by policy id, to explain decisions

	mu        sync.Mutex
	decisions []decision
}

func newToolServer(p *idp, reg policy.Registry, docs []*policy.Document) (*toolServer, error) {
	ts := &toolServer{runs: map[string]*atomic.Int64{}, docs: map[string]*policy.Document{}}
	for _, doc := range docs {
		ts.docs[doc.PolicyID] = doc
	}
	var err error
	if ts.verifier, err = p.verifier(audTools); err != nil {
		return nil, err
	}
	gw, err := gateway.New(gateway.Config{
		Registry: reg,
		// user → tenant → policy: the token's user must belong to the
		// token's tenant in the registry, or every tool is denied.
		CheckUserTenant: true,
		OnDecision:      ts.audit,
	})
	if err != nil {
		_ = ts.verifier.Close()
		return nil, err
	}

	server := mcp.NewServer(&mcp.Implementation{Name: "shop-tools", Version: "1.0.0"}, nil)
	for _, name := range toolNames {
		n := &atomic.Int64{}
		ts.runs[name] = n
		mcp.AddTool(server, &mcp.Tool{Name: name, Description: "the " + name + " tool"},
			func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, toolOutput, error) {
				n.Add(1)
				t, ok := mcpsdk.TenantFrom(ctx, req)
				if !ok {
					return nil, toolOutput{}, errors.New("no tenant") // fail closed
				}
				return nil, toolOutput{Tool: name, Tenant: t.ID, User: t.Subject, Via: actors(t)}, nil
			})
	}
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	withTenant := auth.RequireBearerToken(mcpsdk.TokenVerifier(), nil)
	if ts.srv, err = serve(tenantctx.Middleware(ts.verifier)(gw.MCP(withTenant(mcpHandler)))); err != nil {
		_ = ts.verifier.Close()
		return nil, err
	}
	return ts, nil
}

func (ts *toolServer) close() {
	ts.srv.close()
	_ = ts.verifier.Close()
}

func (ts *toolServer) audit(_ context.Context, t *tenantctx.Tenant, _, resource string, d policy.Decision) {
	if t == nil {
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.decisions = append(ts.decisions, decision{tenant: t.ID, user: t.Subject, resource: resource, Decision: d})
}

// lastDecision returns the gateway's latest decision on tool for a tenant's user.
func (ts *toolServer) lastDecision(tenant, user, tool string) (decision, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	resource := gateway.DefaultResourceFor(tool)
	for i := len(ts.decisions) - 1; i >= 0; i-- {
		if d := ts.decisions[i]; d.tenant == tenant && d.user == user && d.resource == resource {
			return d, true
		}
	}
	return decision{}, false
}

// connectMCP opens an MCP client session as the tenant in ctx. The HTTP
// client decides which token is sent: the runtime uses its a2a.Transport,
// which exchanges the user's token for one bound to the tool server.
func connectMCP(ctx context.Context, endpoint string, hc *http.Client) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: agentClientID, Version: "1.0.0"}, nil)
	return client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             endpoint,
		HTTPClient:           hc,
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	}, nil)
}

// readOutput decodes a tool's result.
func readOutput(res *mcp.CallToolResult) (toolOutput, error) {
	var out toolOutput
	if res == nil || res.IsError || len(res.Content) == 0 {
		return out, errors.New("tool returned an error")
	}
	text, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		return out, fmt.Errorf("tool returned %T", res.Content[0])
	}
	return out, json.Unmarshal([]byte(text.Text), &out)
}

// explain renders a gateway decision for the trace, with the rule that
// decided: "POL-TENANT-A rule 1: Insufficient privileges" for a denial,
// "POL-TENANT-B rule 2: ALLOW agent:tool:admin-refund if tier in [premium]"
// for an allow.
func (ts *toolServer) explain(d decision) string {
	if d.Rule < 0 {
		return fmt.Sprintf("%s: %s", d.PolicyID, d.Reason)
	}
	doc := ts.docs[d.PolicyID]
	if !d.Allowed || doc == nil || d.Rule >= len(doc.Rules) {
		return fmt.Sprintf("%s rule %d: %s", d.PolicyID, d.Rule, d.Reason)
	}
	r := doc.Rules[d.Rule]
	matched := d.resource
	for _, pattern := range r.Resources {
		if policy.MatchPattern(pattern, d.resource) {
			matched = pattern
			break
		}
	}
	cond := ""
	if c := r.Condition; c != nil {
		if len(c.Tiers) > 0 {
			cond += " if tier in " + list(c.Tiers)
		}
		if len(c.Entitlements) > 0 {
			cond += " if entitled to " + list(c.Entitlements)
		}
		if len(c.Scopes) > 0 {
			cond += " if granted " + list(c.Scopes)
		}
	}
	return fmt.Sprintf("%s rule %d: %s %s%s", d.PolicyID, d.Rule, r.Effect, matched, cond)
}

// actors returns the delegation chain of t, current actor first.
func actors(t *tenantctx.Tenant) []string {
	var out []string
	for _, a := range t.DelegationChain() {
		out = append(out, a.Subject)
	}
	return out
}
