package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/policy/gateway"
)

// party is a tenant and one of its users.
type party struct{ Tenant, User string }

func (p party) String() string { return p.Tenant + "/" + p.User }

// scenario names the tenant the demo runs for and the other tenant, whose
// data the cross-tenant checks try to reach.
type scenario struct{ me, other party }

// defaultUsers is the user the demo signs in as for each tenant.
var defaultUsers = map[string]string{"Tenant-A": "alice", "Tenant-B": "bob"}

func newScenario(tenant, user string) (scenario, error) {
	if user == "" {
		user = defaultUsers[tenant]
	}
	acct, ok := directory[user]
	switch {
	case defaultUsers[tenant] == "":
		return scenario{}, fmt.Errorf("unknown tenant %q (want Tenant-A or Tenant-B)", tenant)
	case !ok:
		return scenario{}, fmt.Errorf("unknown user %q (want alice, bob or carol)", user)
	case acct.Tenant != tenant:
		return scenario{}, fmt.Errorf("user %q belongs to %s, not %s", user, acct.Tenant, tenant)
	}
	other := "Tenant-A"
	if tenant == other {
		other = "Tenant-B"
	}
	return scenario{me: party{tenant, user}, other: party{other, defaultUsers[other]}}, nil
}

// toolCall is one tools/call the agent makes and the decision the gateway
// must make, as read from the policy documents by a human.
type toolCall struct {
	Tool   string
	Want   string // allow or deny
	Policy string // the policy that decides
	Rule   int    // index of the deciding rule; -1 for default deny
	Reason string // the decision's reason, when it is fixed by the policy
	Cross  bool   // a tool that only the other tenant may use
}

// reasonMatches reports whether a decision's reason is the expected one. A
// default deny may explain itself further, as in "no matching rule (rule 2
// requires tier in [premium])".
func (c toolCall) reasonMatches(reason string) bool {
	if c.Rule < 0 {
		return strings.HasPrefix(reason, c.Reason)
	}
	return c.Reason == "" || reason == c.Reason
}

// plan is what each demo user must experience at the tool gateway. The
// plans are written by hand from policies/*.json, so that the demo checks
// the SDK's decisions instead of repeating them.
type plan struct {
	Visible []string // sorted tools/list result
	Calls   []toolCall
}

var plans = map[string]plan{
	// Tenant-A (tier standard): order-lookup only; admin-refund is
	// explicitly denied; Tenant-B's CRM tools match no rule.
	"alice": {
		Visible: []string{"order-lookup"},
		Calls: []toolCall{
			{Tool: "order-lookup", Want: allow, Policy: "POL-TENANT-A", Rule: 0},
			{Tool: "admin-refund", Want: deny, Policy: "POL-TENANT-A", Rule: 1, Reason: "Insufficient privileges"},
			{Tool: "crm-search", Want: deny, Policy: "POL-TENANT-A", Rule: -1, Reason: policy.ReasonNoMatch, Cross: true},
		},
	},
	// Tenant-B, premium: CRM tools by pattern, minus crm-export (deny wins
	// over the crm-* allow), plus admin-refund for the premium tier.
	"bob": {
		Visible: []string{"admin-refund", "crm-search", "order-lookup"},
		Calls: []toolCall{
			{Tool: "admin-refund", Want: allow, Policy: "POL-TENANT-B", Rule: 2},
			{Tool: "crm-search", Want: allow, Policy: "POL-TENANT-B", Rule: 0},
			{Tool: "crm-export", Want: deny, Policy: "POL-TENANT-B", Rule: 1, Reason: "Bulk CRM export is disabled for this tenant"},
		},
	},
	// Tenant-B, basic tier: the premium-only admin-refund rule does not
	// apply, so no rule matches.
	"carol": {
		Visible: []string{"crm-search", "order-lookup"},
		Calls: []toolCall{
			{Tool: "crm-search", Want: allow, Policy: "POL-TENANT-B", Rule: 0},
			{Tool: "admin-refund", Want: deny, Policy: "POL-TENANT-B", Rule: -1, Reason: policy.ReasonNoMatch},
			{Tool: "crm-export", Want: deny, Policy: "POL-TENANT-B", Rule: 1, Reason: "Bulk CRM export is disabled for this tenant"},
		},
	},
}

// edgeSteps are requests of the client app that the runtime's edge
// middleware must refuse before any agent code runs.
func edgeSteps(ctx context.Context, p *pool) error {
	me, other := p.sc.me, p.sc.other
	token, err := p.idp.login(me.User)
	if err != nil {
		return err
	}
	forgedTenant, err := tamper(token, other.Tenant)
	if err != nil {
		return err
	}
	cases := []struct {
		action, bearer, header string
		status                 int
		cross                  bool
	}{
		{action: "POST /invoke without a token", status: http.StatusUnauthorized},
		{action: fmt.Sprintf("POST /invoke with tenant_id rewritten to %s in %s's token", other.Tenant, me.User),
			bearer: forgedTenant, status: http.StatusUnauthorized, cross: true},
		{action: fmt.Sprintf("POST /invoke as %s with X-Tenant-ID: %s", me.User, other.Tenant),
			bearer: token, header: other.Tenant, status: http.StatusForbidden, cross: true},
	}
	for _, c := range cases {
		before := p.runtime.handled.Load()
		s := Step{Hop: "edge", Tenant: me.Tenant, User: me.User, Action: c.action, Want: deny, Cross: c.cross}
		status, body, err := p.invoke(ctx, "turn", c.bearer, c.header)
		if err != nil {
			p.tr.check(s, "ERROR", false, err.Error())
			continue
		}
		ran := p.runtime.handled.Load() != before
		why := fmt.Sprintf("HTTP %d %s; agent code never ran", status, errorDescription(body))
		if ran {
			why = fmt.Sprintf("HTTP %d; the agent code RAN", status)
		}
		p.tr.check(s, httpDecision(status), status == c.status && !ran, why)
	}
	return nil
}

// turn signs user in and runs one agent turn (task "turn" or "remember")
// in the runtime. The steps are recorded by the runtime as it goes.
func turn(ctx context.Context, p *pool, who party, task string) error {
	token, err := p.idp.login(who.User)
	if err != nil {
		return err
	}
	status, body, err := p.invoke(ctx, task, token, "")
	if err != nil {
		return err
	}
	if status != http.StatusNoContent {
		s := Step{Hop: "edge", Tenant: who.Tenant, User: who.User, Action: "POST /invoke as " + who.User, Want: allow}
		p.tr.check(s, httpDecision(status), false, fmt.Sprintf("HTTP %d %s", status, errorDescription(body)))
	}
	return nil
}

// mixedTokenStep presents the tool server with a token the IdP should never
// have issued: tenant_id names this tenant, but the user belongs to the
// other one. The gateway maps user → tenant in its registry
// (Config.CheckUserTenant) and denies every tool.
func mixedTokenStep(ctx context.Context, p *pool) error {
	me, other := p.sc.me, p.sc.other
	token, err := p.idp.mint(jwt.MapClaims{
		"sub": other.User, "aud": audTools, "client_id": agentClientID,
		"tenant_id": me.Tenant, "tier": directory[me.User].Tier,
	})
	if err != nil {
		return err
	}
	tool := plans[me.User].Calls[0].Tool // a tool the tenant's own users may call
	s := Step{Hop: "gateway", Tenant: me.Tenant, User: other.User, Want: deny, Cross: true,
		Action: fmt.Sprintf("tools/call %s with a %s token naming %s (a %s user)", tool, me.Tenant, other.User, other.Tenant)}

	hc := &http.Client{Transport: bearer{token: token}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	cs, err := connectMCP(ctx, p.tools.srv.URL, hc)
	if err != nil {
		p.tr.check(s, "ERROR", false, err.Error())
		return nil
	}
	defer cs.Close()
	listed := -1
	if res, err := cs.ListTools(ctx, nil); err == nil {
		listed = len(res.Tools)
	}
	before := p.tools.runs[tool].Load()
	_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: tool})
	d, _ := p.tools.lastDecision(me.Tenant, other.User, tool)
	var rpcErr *jsonrpc.Error
	if !asDenied(err, &rpcErr) {
		p.tr.check(s, allow, false, fmt.Sprintf("not refused by the gateway: %v", err))
		return nil
	}
	ran := p.tools.runs[tool].Load() != before
	why := fmt.Sprintf("%s; tools/list showed %d tools; tool handler never ran", d.Reason, listed)
	if ran {
		why = "the tool handler RAN"
	}
	p.tr.check(s, deny, !ran && listed == 0 && d.Reason == gateway.ReasonUserNotInTenant, why)
	return nil
}

// asDenied reports whether err is the gateway's JSON-RPC refusal.
func asDenied(err error, target **jsonrpc.Error) bool {
	return err != nil && errors.As(err, target) && (*target).Code == gateway.CodeToolDenied
}

// bearer sends a fixed access token, like a client that holds a token for
// the tool server already.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r2)
}
