package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tenantkit/tenantkit/a2a"
	"github.com/tenantkit/tenantkit/policy/gateway"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// runtime is the shared agent runtime: one process serving every tenant.
// The edge middleware verifies the user's token and puts the tenant into the
// request context; from there each hop takes the tenant from the context and
// enforces isolation itself:
//
//	tools    MCP client → a2a.Transport (exchanged token) → tool gateway
//	agents   a2a.Transport (exchanged token) → billing agent
//	AWS      stsx: credentials tagged with the tenant, cached per tenant
//	memory   memoryns: namespaces built from the tenant, scope-checked
type runtime struct {
	tr       *trace
	sc       scenario
	srv      *loopback
	verifier *tenantctx.Verifier
	handled  atomic.Int64 // requests that got past the edge middleware

	// outbound sends every call to another service: tenant headers, and an
	// RFC 8693 token for that service's audience instead of the user's token.
	outbound *http.Client
	// forged is outbound behind a hop that rewrites X-Tenant-ID to the
	// other tenant, to show that the next hop notices.
	forged *http.Client

	tools   *toolServer
	billing *billingAgent
	aws     *awsAccess
	mem     *memoryStore
}

func newRuntime(tr *trace, sc scenario, p *idp, tools *toolServer, billing *billingAgent, aa *awsAccess, mem *memoryStore) (*runtime, error) {
	rt := &runtime{tr: tr, sc: sc, tools: tools, billing: billing, aws: aa, mem: mem}

	// The agent's token client: its own token (client credentials) is the
	// actor token; user tokens are exchanged for audience-bound ones.
	tc, err := a2a.NewTokenClient(a2a.TokenClientConfig{
		TokenURL: p.tokenURL(), ClientID: agentClientID, ClientSecret: agentClientSecret,
		InsecureAllowLoopbackHTTP: true, // loopback demo only
	})
	if err != nil {
		return nil, err
	}
	own, err := a2a.NewClientCredentialsSource(tc, a2a.ClientCredentialsConfig{})
	if err != nil {
		return nil, err
	}
	exchange, err := a2a.NewExchangeSource(tc, a2a.ExchangeSourceConfig{Actor: own})
	if err != nil {
		return nil, err
	}
	// Only these two destinations ever receive tenant headers or tokens.
	cfg := a2a.Config{
		Destinations: []a2a.Destination{
			{URL: tools.srv.URL, Audience: []string{audTools}, TokenSource: exchange},
			{URL: billing.srv.URL, Audience: []string{audBilling}, TokenSource: exchange},
		},
		InsecureAllowLoopbackHTTP: true, // loopback demo only
	}
	tp, err := a2a.NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Base = forgeTenantHeader{tenant: sc.other.Tenant}
	forged, err := a2a.NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	rt.outbound = &http.Client{Transport: tp, Timeout: 10 * time.Second}
	rt.forged = &http.Client{Transport: forged, Timeout: 10 * time.Second}

	if rt.verifier, err = p.verifier(audRuntime); err != nil {
		return nil, err
	}
	edge := tenantctx.Middleware(rt.verifier, tenantctx.RequireScopes("agent:invoke"))
	mux := http.NewServeMux()
	mux.Handle("POST /invoke", edge(http.HandlerFunc(rt.invoke)))
	if rt.srv, err = serve(mux); err != nil {
		_ = rt.verifier.Close()
		return nil, err
	}
	return rt, nil
}

func (rt *runtime) close() {
	rt.srv.close()
	rt.outbound.CloseIdleConnections()
	rt.forged.CloseIdleConnections()
	_ = rt.verifier.Close()
}

// invoke is one agent turn. It runs only for a verified tenant: the edge
// middleware answered every other request with 401 or 403.
func (rt *runtime) invoke(w http.ResponseWriter, r *http.Request) {
	rt.handled.Add(1)
	ctx := r.Context()
	t, err := tenantctx.Require(ctx)
	if err != nil { // unreachable behind the middleware; fail closed anyway
		http.Error(w, "no tenant", http.StatusUnauthorized)
		return
	}
	acct := directory[t.Subject]
	s := stepFor(t, "edge", "POST /invoke as "+t.Subject, allow)
	rt.tr.check(s, allow, t.ID == acct.Tenant && t.Tier == acct.Tier,
		fmt.Sprintf("verified ES256 at+jwt from the IdP's JWKS: tenant %s, tier %s, user %s", t.ID, t.Tier, t.Subject))

	switch r.URL.Query().Get("task") {
	case "remember": // the other tenant's user, whose data the cross-tenant checks target
		rt.remember(ctx, t, t.Subject+"'s private note")
		rt.fetchCredentials(ctx, t, "credentials for an AWS call")
	case "turn":
		rt.toolSteps(ctx, t)
		rt.agentSteps(ctx, t)
		rt.stsSteps(ctx, t)
		rt.memorySteps(ctx, t)
	default:
		http.Error(w, "unknown task", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// toolSteps lists and calls tools over MCP as the user. The MCP client's
// HTTP client is the runtime's a2a.Transport, so the tool server receives a
// token for its own audience that names the user and, in "act", this agent.
func (rt *runtime) toolSteps(ctx context.Context, t *tenantctx.Tenant) {
	p, ok := plans[t.Subject]
	if !ok {
		rt.tr.check(stepFor(t, "gateway", "plan tool calls", allow), "ERROR", false, "no plan for user "+t.Subject)
		return
	}
	cs, err := connectMCP(ctx, rt.tools.srv.URL, rt.outbound)
	if err != nil {
		rt.tr.check(stepFor(t, "gateway", "MCP initialize", allow), "ERROR", false, err.Error())
		return
	}
	defer cs.Close()

	s := stepFor(t, "gateway", "tools/list", allow)
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		rt.tr.check(s, "ERROR", false, err.Error())
	} else {
		var seen []string
		for _, tl := range res.Tools {
			seen = append(seen, tl.Name)
		}
		slices.Sort(seen)
		var hidden []string
		for _, name := range toolNames {
			if !slices.Contains(seen, name) {
				hidden = append(hidden, name)
			}
		}
		slices.Sort(hidden)
		rt.tr.check(s, allow, slices.Equal(seen, p.Visible),
			fmt.Sprintf("sees %s; hidden: %s", list(seen), list(hidden)))
	}

	for _, c := range p.Calls {
		rt.callTool(ctx, t, cs, c)
	}
}

// callTool calls one tool and checks the gateway's decision against the
// plan: the decision, its policy and rule, and whether the handler ran.
func (rt *runtime) callTool(ctx context.Context, t *tenantctx.Tenant, cs *mcp.ClientSession, c toolCall) {
	s := stepFor(t, "gateway", "tools/call "+c.Tool, c.Want)
	s.Cross = c.Cross
	runs := rt.tools.runs[c.Tool]
	before := runs.Load()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.Tool})
	d, audited := rt.tools.lastDecision(t.ID, t.Subject, c.Tool)
	decided := audited && d.PolicyID == c.Policy && d.Rule == c.Rule && c.reasonMatches(d.Reason)

	var rpcErr *jsonrpc.Error
	switch {
	case err == nil:
		out, err := readOutput(res)
		if err != nil {
			rt.tr.check(s, "ERROR", false, err.Error())
			return
		}
		ok := decided && d.Allowed && out.Tenant == t.ID && out.User == t.Subject &&
			slices.Equal(out.Via, []string{agentClientID}) && runs.Load() == before+1
		rt.tr.check(s, allow, ok, fmt.Sprintf("%s; the tool served %s/%s via %s",
			rt.tools.explain(d), out.Tenant, out.User, strings.Join(out.Via, " → ")))
	case asDenied(err, &rpcErr):
		var data gateway.DeniedData
		_ = json.Unmarshal(rpcErr.Data, &data)
		ran := runs.Load() != before
		ok := decided && !d.Allowed && !ran && data.PolicyID == c.Policy && data.Reason == d.Reason
		why := rt.tools.explain(d)
		if ran {
			why += "; the tool handler RAN"
		} else {
			why += "; tool handler never ran"
		}
		rt.tr.check(s, deny, ok, why)
	default:
		rt.tr.check(s, "ERROR", false, err.Error())
	}
}

// billingReport is what the billing agent answers: who it was called for.
type billingReport struct {
	Tenant   string   `json:"tenant"`
	Tier     string   `json:"tier"`
	User     string   `json:"user"`
	Audience []string `json:"audience"`
	Via      []string `json:"via"`
}

// agentSteps calls the billing agent over A2A, then shows the two ways a
// call to it must fail: a forged tenant header and the user's own token.
func (rt *runtime) agentSteps(ctx context.Context, t *tenantctx.Tenant) {
	url := rt.billing.srv.URL + "/v1/invoices/summary"

	s := stepFor(t, "a2a", "GET billing-agent /v1/invoices/summary", allow)
	status, body, err := get(ctx, rt.outbound, url, "")
	var rep billingReport
	switch {
	case err != nil:
		rt.tr.check(s, "ERROR", false, err.Error())
	case status != http.StatusOK || json.Unmarshal(body, &rep) != nil:
		rt.tr.check(s, deny, false, fmt.Sprintf("HTTP %d %s", status, strings.TrimSpace(string(body))))
	default:
		ok := rep.Tenant == t.ID && rep.User == t.Subject &&
			slices.Equal(rep.Audience, []string{audBilling}) && slices.Equal(rep.Via, []string{agentClientID})
		rt.tr.check(s, allow, ok, fmt.Sprintf("billing-agent verified an exchanged token: tenant %s, user %s, aud %s, act chain %s",
			rep.Tenant, rep.User, strings.Join(rep.Audience, ","), list(rep.Via)))
	}

	// A hop between the agents rewrites X-Tenant-ID. The token still says
	// the real tenant, and headers never override claims.
	handled := rt.billing.handled.Load()
	s = stepFor(t, "a2a", fmt.Sprintf("same call with X-Tenant-ID forged to %s", rt.sc.other.Tenant), deny)
	s.Cross = true
	status, body, err = get(ctx, rt.forged, url, "")
	if err != nil {
		rt.tr.check(s, "ERROR", false, err.Error())
	} else {
		rt.tr.check(s, httpDecision(status), status == http.StatusForbidden && rt.billing.handled.Load() == handled,
			fmt.Sprintf("HTTP %d %s; billing handler never ran", status, errorDescription(body)))
	}

	// Token pass-through: the user's own token was minted for the runtime.
	// The billing agent refuses it, which is why the runtime exchanges it.
	s = stepFor(t, "a2a", "send the user's own runtime token to billing-agent", deny)
	status, body, err = get(ctx, http.DefaultClient, url, t.Token())
	if err != nil {
		rt.tr.check(s, "ERROR", false, err.Error())
	} else {
		rt.tr.check(s, httpDecision(status), status == http.StatusUnauthorized && rt.billing.handled.Load() == handled,
			fmt.Sprintf("HTTP %d %s: no token pass-through", status, errorDescription(body)))
	}
}

// billingAgent is the second agent. It trusts nothing the caller says: it
// verifies the token itself (zero trust at every hop), for its own audience,
// and reads the tenant and the delegation chain from it.
type billingAgent struct {
	srv      *loopback
	verifier *tenantctx.Verifier
	handled  atomic.Int64
}

func newBillingAgent(p *idp) (*billingAgent, error) {
	b := &billingAgent{}
	var err error
	if b.verifier, err = p.verifier(audBilling); err != nil {
		return nil, err
	}
	h := tenantctx.Middleware(b.verifier)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.handled.Add(1)
		t, err := tenantctx.Require(r.Context())
		if err != nil {
			http.Error(w, "no tenant", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(billingReport{
			Tenant: t.ID, Tier: t.Tier, User: t.Subject, Audience: t.Audience, Via: actors(t),
		})
	}))
	if b.srv, err = serve(h); err != nil {
		_ = b.verifier.Close()
		return nil, err
	}
	return b, nil
}

func (b *billingAgent) close() {
	b.srv.close()
	_ = b.verifier.Close()
}

// forgeTenantHeader is a hostile hop: it replaces X-Tenant-ID on the way.
type forgeTenantHeader struct{ tenant string }

func (f forgeTenantHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Tenant-ID", f.tenant)
	return http.DefaultTransport.RoundTrip(r2)
}

// get performs a GET with hc; a non-empty bearer is sent as Authorization.
func get(ctx context.Context, hc *http.Client, url, bearer string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, err
}

// errorDescription extracts the RFC 6750 error of a tenantctx response body.
func errorDescription(body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return strings.TrimSpace(string(body))
	}
	return e.Error + ": " + e.Description
}

// httpDecision maps an HTTP status to the trace's vocabulary.
func httpDecision(status int) string {
	if status >= 200 && status < 300 {
		return allow
	}
	return deny
}

func stepFor(t *tenantctx.Tenant, hop, action, want string) Step {
	return Step{Hop: hop, Tenant: t.ID, User: t.Subject, Action: action, Want: want}
}

func list(names []string) string {
	if len(names) == 0 {
		return "[]"
	}
	return "[" + strings.Join(names, ", ") + "]"
}
