// Command pool runs the whole pool pattern end to end: one shared agent
// runtime serving two tenants, with every hop enforcing tenant isolation
// itself. Everything runs in this process on 127.0.0.1 and stops before the
// program exits; nothing needs to be installed.
//
//	client app ──JWT──▶ runtime     tenantctx.Middleware: verify the user's token
//	                      ├─ tools    MCP client ─(exchanged token)─▶ tenantctx ▶ gateway.MCP ▶ MCP server
//	                      ├─ agents   a2a.Transport ─(exchanged token)─▶ tenantctx ▶ billing agent
//	                      ├─ AWS      stsx: AssumeRole with session tag TenantID, cached per tenant
//	                      └─ memory   memoryns: namespaces from the tenant, scope-checked
//
// The pieces, one file each: idp.go (identity provider and RFC 8693 token
// exchange), policies.go and policies/ (the tenants' tool policies),
// tools.go (MCP tool server behind the gateway), agents.go (the runtime and
// the second agent), aws.go (STS session tags), memory.go (memory
// namespaces), scenario.go (who does what, and what must happen), trace.go
// (the narrated and JSON output).
//
// Every step states its expected outcome in advance, and the program exits
// with status 1 if any expectation fails (2 if the demo cannot start).
//
//	go run ./examples/pool                          # Tenant-A as alice
//	go run ./examples/pool -tenant Tenant-B         # Tenant-B as bob (premium)
//	go run ./examples/pool -tenant Tenant-B -user carol -json
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/policy"
)

type options struct {
	tenant, user string
	json         bool
	// policies replaces the embedded policies/ directory (tests use it to
	// prove that a policy regression fails the run). Nil: embedded.
	policies fs.FS
}

func main() {
	var o options
	flag.StringVar(&o.tenant, "tenant", "Tenant-A", "tenant to run the scenario for: Tenant-A or Tenant-B")
	flag.StringVar(&o.user, "user", "", "user to sign in as (default alice for Tenant-A, bob for Tenant-B; carol is a basic-tier Tenant-B user)")
	flag.BoolVar(&o.json, "json", false, "print one JSON document instead of the narrated trace")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	rep, err := run(ctx, o, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pool:", err)
		os.Exit(2)
	}
	if !rep.OK {
		os.Exit(1)
	}
}

// pool is every service of the demo.
type pool struct {
	tr      *trace
	sc      scenario
	idp     *idp
	docs    []*policy.Document
	tools   *toolServer
	billing *billingAgent
	aws     *awsAccess
	mem     *memoryStore
	runtime *runtime
}

func startPool(tr *trace, sc scenario, policies fs.FS) (p *pool, err error) {
	p = &pool{tr: tr, sc: sc}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.idp, err = newIDP(time.Now); err != nil {
		return nil, err
	}
	reg, docs, err := loadRegistry(policies)
	if err != nil {
		return nil, err
	}
	p.docs = docs
	if p.tools, err = newToolServer(p.idp, reg, docs); err != nil {
		return nil, err
	}
	if p.billing, err = newBillingAgent(p.idp); err != nil {
		return nil, err
	}
	if p.aws, err = newAWSAccess(); err != nil {
		return nil, err
	}
	if p.mem, err = newMemoryStore(); err != nil {
		return nil, err
	}
	p.runtime, err = newRuntime(tr, sc, p.idp, p.tools, p.billing, p.aws, p.mem)
	return p, err
}

// close stops every server that was started, the runtime first.
func (p *pool) close() {
	if p.runtime != nil {
		p.runtime.close()
	}
	if p.aws != nil {
		p.aws.close()
	}
	if p.billing != nil {
		p.billing.close()
	}
	if p.tools != nil {
		p.tools.close()
	}
	if p.idp != nil {
		p.idp.close()
	}
}

// invoke is the client app: POST /invoke to the runtime with a bearer
// token (none if empty) and, if set, an X-Tenant-ID header.
func (p *pool) invoke(ctx context.Context, task, bearer, tenantHeader string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.runtime.srv.URL+"/invoke?task="+task, nil)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if tenantHeader != "" {
		req.Header.Set("X-Tenant-ID", tenantHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, err
}

// run starts the pool, plays the scenario and reports every step to w:
// narrated, or as one JSON document with o.json. The error is for a demo
// that could not run at all; failed expectations are in the Report.
func run(ctx context.Context, o options, w io.Writer) (Report, error) {
	sc, err := newScenario(o.tenant, o.user)
	if err != nil {
		return Report{}, err
	}
	tr := &trace{report: Report{Tenant: sc.me.Tenant, User: sc.me.User, OtherTenant: sc.other.Tenant, OtherUser: sc.other.User}}
	if !o.json {
		tr.out = w
	}
	p, err := startPool(tr, sc, o.policies)
	if err != nil {
		return Report{}, err
	}
	defer p.close()

	tr.note("tenantkit pool demo: %s, cross-tenant checks against %s", sc.me, sc.other)
	tr.note("  idp      %s  ES256 at+jwt tokens, JWKS, RFC 8693 token exchange", p.idp.issuer)
	tr.note("  runtime  %s  tenantctx.Middleware → agent turn", p.runtime.srv.URL)
	tr.note("  tools    %s  tenantctx.Middleware → gateway.MCP → MCP server %s", p.tools.srv.URL, list(toolNames))
	tr.note("  billing  %s  tenantctx.Middleware → second agent", p.billing.srv.URL)
	tr.note("  sts      %s  in-process AWS STS (ststest)", p.aws.sts.URL())
	var pols []string
	for _, d := range p.docs {
		pols = append(pols, fmt.Sprintf("%s → %s (%d rules)", d.PolicyID, d.TenantID, len(d.Rules)))
	}
	tr.note("  policies %s", strings.Join(pols, ", "))
	tr.note("✔ expected outcome held  ✘ it did not  ⇄ cross-tenant check")

	tr.section("edge: the client app calls the shared runtime")
	if err := edgeSteps(ctx, p); err != nil {
		return Report{}, err
	}
	tr.section(fmt.Sprintf("%s uses the same runtime first (the target of the cross-tenant checks)", sc.other))
	if err := turn(ctx, p, sc.other, "remember"); err != nil {
		return Report{}, err
	}
	tr.section(fmt.Sprintf("%s: one agent turn in the shared runtime", sc.me))
	if err := turn(ctx, p, sc.me, "turn"); err != nil {
		return Report{}, err
	}
	tr.section("tool server: a token that mixes tenants")
	if err := mixedTokenStep(ctx, p); err != nil {
		return Report{}, err
	}

	rep := tr.result()
	if o.json {
		return rep, writeJSON(w, rep)
	}
	if rep.OK {
		fmt.Fprintf(w, "\nall %d isolation expectations held\n", rep.Passed)
	} else {
		var failed []string
		for _, s := range rep.Steps {
			if !s.OK {
				failed = append(failed, fmt.Sprint(s.N))
			}
		}
		fmt.Fprintf(w, "\nFAILED: %d of %d expectations did not hold (steps %s)\n",
			rep.Failed, len(rep.Steps), strings.Join(failed, ", "))
	}
	return rep, nil
}
