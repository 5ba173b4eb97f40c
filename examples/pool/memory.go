package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tenantkit/tenantkit/memoryns"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// sessionID is the conversation the demo's agent turn belongs to. In a
// real runtime it comes from the request; memoryns validates it like any id.
const sessionID = "chat-1"

// memoryStore is the memory hop of the pool pattern: one store shared by
// every tenant (think AgentCore Memory, or one DynamoDB table), in which the
// namespace of each record is the isolation boundary. Every read and write
// is checked against the scope of the verified tenant in the context
// (memoryns.Scheme.Check) before the store is touched; namespaces are only
// ever built by memoryns, never by string concatenation.
type memoryStore struct {
	scheme *memoryns.Scheme

	mu      sync.Mutex
	records map[string][]string // namespace → records
}

func newMemoryStore() (*memoryStore, error) {
	scheme, err := memoryns.New(memoryns.Config{}) // pool mode, /tenant/{t}/user/{u}/session/{s}/
	if err != nil {
		return nil, err
	}
	return &memoryStore{scheme: scheme, records: map[string][]string{}}, nil
}

func (m *memoryStore) write(ctx context.Context, ns memoryns.Namespace, rec string) error {
	if err := m.scheme.Check(ctx, memoryns.OpWrite, ns); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[ns.String()] = append(m.records[ns.String()], rec)
	return nil
}

func (m *memoryStore) read(ctx context.Context, ns memoryns.Namespace) ([]string, error) {
	if err := m.scheme.Check(ctx, memoryns.OpRead, ns); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records[ns.String()]), nil
}

// stored counts the records under ns without any check: the demo uses it
// to show that a refused read had something to refuse.
func (m *memoryStore) stored(ns memoryns.Namespace) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records[ns.String()])
}

// remember writes one record to the session of the tenant in ctx.
func (rt *runtime) remember(ctx context.Context, t *tenantctx.Tenant, note string) {
	s := stepFor(t, "memory", "", allow)
	ns, err := rt.mem.scheme.ForSession(ctx, sessionID) // from the verified tenant, never from input
	if err != nil {
		s.Action = "write own session"
		rt.tr.check(s, "ERROR", false, err.Error())
		return
	}
	s.Action = "write " + ns.String()
	if err := rt.mem.write(ctx, ns, note); err != nil {
		rt.tr.check(s, deny, false, err.Error())
		return
	}
	rt.tr.check(s, allow, true, "own session namespace")
}

// memorySteps reads the tenant's own memory back, then tries the other
// tenant's session and a hostile session id.
func (rt *runtime) memorySteps(ctx context.Context, t *tenantctx.Tenant) {
	note := fmt.Sprintf("%s prefers e-mail", t.Subject)
	rt.remember(ctx, t, note)

	own, err := rt.mem.scheme.ForSession(ctx, sessionID)
	s := stepFor(t, "memory", "read "+own.String(), allow)
	if err != nil {
		rt.tr.check(s, "ERROR", false, err.Error())
	} else if recs, err := rt.mem.read(ctx, own); err != nil {
		rt.tr.check(s, deny, false, err.Error())
	} else {
		rt.tr.check(s, allow, slices.Equal(recs, []string{note}), fmt.Sprintf("own session; read back %q", recs))
	}

	// The other tenant's user wrote to their session earlier. The namespace
	// is well formed, and a prompt-injected agent could ask for it by name;
	// the scope check compares ids, so it is refused.
	other, err := rt.mem.scheme.Session(rt.sc.other.Tenant, rt.sc.other.User, sessionID)
	s = stepFor(t, "memory", "read "+other.String(), deny)
	s.Cross = true
	if err != nil {
		rt.tr.check(s, "ERROR", false, err.Error())
	} else {
		recs, err := rt.mem.read(ctx, other)
		var accessErr *memoryns.AccessError
		switch {
		case err == nil:
			rt.tr.check(s, allow, false, fmt.Sprintf("read %d of %s's records", len(recs), rt.sc.other.Tenant))
		case errors.As(err, &accessErr) && errors.Is(err, memoryns.ErrForbidden):
			n := rt.mem.stored(other)
			rt.tr.check(s, deny, n > 0, fmt.Sprintf("*memoryns.AccessError: %v; %d record(s) there, none returned", err, n))
		default:
			rt.tr.check(s, deny, false, "unexpected error: "+err.Error())
		}
	}

	// A session id that tries to climb into the other tenant's namespace
	// never becomes a namespace at all.
	hostile := fmt.Sprintf("../../%s/user/%s", rt.sc.other.Tenant, rt.sc.other.User)
	s = stepFor(t, "memory", fmt.Sprintf("build session namespace from id %q", hostile), deny)
	s.Cross = true
	_, err = rt.mem.scheme.ForSession(ctx, hostile)
	var idErr *memoryns.IDError
	if errors.As(err, &idErr) && errors.Is(err, memoryns.ErrInvalidID) {
		rt.tr.check(s, deny, true, "*memoryns.IDError: "+err.Error())
	} else {
		rt.tr.check(s, allow, false, fmt.Sprintf("not rejected as an invalid id: %v", err))
	}
}
