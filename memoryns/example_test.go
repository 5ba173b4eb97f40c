package memoryns_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/tenantkit/tenantkit/memoryns"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// The principal in ctx writes its own session and cannot read a look-alike
// tenant's memory.
func Example() {
	s, err := memoryns.New(memoryns.Config{ReadStrategies: []string{"support"}})
	if err != nil {
		log.Fatal(err)
	}
	ctx := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_1", Subject: "user_9"})

	own, err := s.ForSession(ctx, "s1")
	fmt.Println(own, err)
	fmt.Println("write own session:", s.Check(ctx, memoryns.OpWrite, own))

	other, err := s.Parse("/tenant/tenant_12/user/user_9/")
	fmt.Println(other, err)
	err = s.Check(ctx, memoryns.OpRead, other) // ids are compared, not string prefixes
	fmt.Println("read tenant_12:", errors.Is(err, memoryns.ErrForbidden), err)
	// Output:
	// /tenant/tenant_1/user/user_9/session/s1/ <nil>
	// write own session: <nil>
	// /tenant/tenant_12/user/user_9/ <nil>
	// read tenant_12: true memoryns: forbidden: read of user namespace: namespace of another tenant
}

// The AgentCore Memory layout puts the tenant into the actor id in pool mode.
func Example_agentCore() {
	s, err := memoryns.New(memoryns.Config{
		Template:         memoryns.AgentCoreTemplate(),
		MemoryStrategyID: "semantic-1a2b3c",
	})
	if err != nil {
		panic(err)
	}
	ns, err := s.Session("tenant_123", "user_456", "session-789")
	if err != nil {
		panic(err)
	}
	fmt.Println(ns)
	fmt.Println(ns.ActorID())
	// Output:
	// /strategies/semantic-1a2b3c/actors/tenant_123:user_456/sessions/session-789/
	// tenant_123:user_456
}

func ExampleScheme_Parse() {
	s, _ := memoryns.New(memoryns.Config{})
	for _, in := range []string{
		"/tenant/t1/user/u9/session/s1/",
		"/tenant/t1/user/u9/session/s1",
		"/tenant/t1/user/../",
		"/tenant/t1/user/u9\n/",
	} {
		ns, err := s.Parse(in)
		if err != nil {
			fmt.Println("rejected:", err)
			continue
		}
		fmt.Println(ns.Level(), ns.TenantID(), ns.UserID(), ns.SessionID())
	}
	// Output:
	// session t1 u9 s1
	// rejected: memoryns: invalid namespace: must end with '/' after the last segment
	// rejected: memoryns: invalid namespace: segment 4: memoryns: invalid user id: contains '.' at byte 0
	// rejected: memoryns: invalid namespace: segment 4: memoryns: invalid user id: contains white space at byte 2
}

func ExampleParseActorID() {
	actor, _ := memoryns.ActorID("tenant_123", "user_456")
	fmt.Println(actor)
	tenant, user, _ := memoryns.ParseActorID(actor)
	fmt.Println(tenant, user)
	_, _, err := memoryns.ParseActorID("tenant_123:user_456:admin")
	fmt.Println(err)
	// Output:
	// tenant_123:user_456
	// tenant_123 user_456
	// memoryns: invalid user id: contains a separator at byte 8
}

// One ABAC policy for every tenant: the namespace must lie under the
// tenant named by the caller's TenantID session tag.
func ExampleScheme_NamespaceCondition() {
	s, _ := memoryns.New(memoryns.Config{})
	cond, _ := s.NamespaceCondition(memoryns.DefaultTenantTag)
	js, _ := json.Marshal(cond)
	fmt.Println(string(js))
	prefix, _ := s.TenantPrefix("tenant_1")
	fmt.Println(prefix)
	// Output:
	// {"StringLike":{"bedrock-agentcore:namespace":["/tenant/${aws:PrincipalTag/TenantID}/*"]}}
	// /tenant/tenant_1/
}

// A Scope is derived once per request and checks without allocating.
func ExampleScope() {
	s, _ := memoryns.New(memoryns.Config{
		ReadStrategies:   []string{"support"},
		TenantWriteScope: "memory:tenant:write",
	})
	sc, _ := s.ScopeFor(&tenantctx.Tenant{ID: "t1", Subject: "u9"})
	strategy, _ := s.Strategy("support")
	tenant, _ := s.Tenant("t1")
	user, _ := s.User("t1", "u9")
	fmt.Println(sc.CanRead(s.Global()), sc.CanWrite(s.Global()))
	fmt.Println(sc.CanRead(strategy), sc.CanWrite(strategy))
	fmt.Println(sc.CanRead(tenant), sc.CanWrite(tenant))
	fmt.Println(sc.CanRead(user), sc.CanWrite(user))
	// Output:
	// true false
	// true false
	// true false
	// true true
}

// In the AgentCore layout IAM's '*' could span segments, so the condition
// pairs the allow patterns with a StringNotLike that keeps the actor
// pattern from matching inside another tenant's actor prefix.
func ExampleScheme_NamespaceCondition_agentCore() {
	s, _ := memoryns.New(memoryns.Config{Template: memoryns.AgentCoreTemplate()})
	cond, _ := s.NamespaceCondition(memoryns.DefaultTenantTag)
	js, _ := json.MarshalIndent(cond, "", " ")
	fmt.Println(string(js))
	// Output:
	// {
	//  "StringLike": {
	//   "bedrock-agentcore:namespace": [
	//    "/tenant/${aws:PrincipalTag/TenantID}/*",
	//    "/strategies/*/actors/${aws:PrincipalTag/TenantID}:*"
	//   ]
	//  },
	//  "StringNotLike": {
	//   "bedrock-agentcore:namespace": [
	//    "/strategies/*/*/actors/${aws:PrincipalTag/TenantID}:*"
	//   ]
	//  }
	// }
}
