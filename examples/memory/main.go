// Command memory shows tenant-isolated memory namespaces: two tenants of
// one pooled store, an allowed write, a blocked cross-tenant read, a hostile
// id, and the IAM condition that enforces the same boundary in AWS.
//
//	go run ./examples/memory
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/tenantkit/tenantkit/memoryns"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// store is a toy pooled memory store: records by namespace, every access
// checked against the caller's scope.
type store struct {
	scheme  *memoryns.Scheme
	records map[string][]string
}

func (s *store) write(ctx context.Context, ns memoryns.Namespace, rec string) error {
	if err := s.scheme.Check(ctx, memoryns.OpWrite, ns); err != nil {
		return err
	}
	s.records[ns.String()] = append(s.records[ns.String()], rec)
	return nil
}

func (s *store) read(ctx context.Context, ns memoryns.Namespace) ([]string, error) {
	if err := s.scheme.Check(ctx, memoryns.OpRead, ns); err != nil {
		return nil, err
	}
	return s.records[ns.String()], nil
}

func main() {
	log.SetFlags(0)
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	scheme, err := memoryns.New(memoryns.Config{ReadStrategies: []string{"support-agent"}})
	if err != nil {
		return err
	}
	st := &store{scheme: scheme, records: map[string][]string{}}

	// In a real runtime tenantctx.Middleware puts the verified tenant here.
	alice := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_1", Subject: "alice"})
	mallory := tenantctx.NewContext(context.Background(), &tenantctx.Tenant{ID: "tenant_12", Subject: "mallory"})

	fmt.Println("namespaces")
	for _, p := range []struct {
		name string
		ctx  context.Context
	}{{"alice (tenant_1)", alice}, {"mallory (tenant_12)", mallory}} {
		tn, err := scheme.ForTenant(p.ctx)
		if err != nil {
			return err
		}
		sess, err := scheme.ForSession(p.ctx, "chat-1")
		if err != nil {
			return err
		}
		fmt.Printf("  %-20s tenant %-22s session %s\n", p.name, tn, sess)
	}

	aliceSession, err := scheme.ForSession(alice, "chat-1")
	if err != nil {
		return err
	}
	fmt.Println("\nalice writes her session")
	if err := st.write(alice, aliceSession, "prefers replies in French"); err != nil {
		return err
	}
	recs, err := st.read(alice, aliceSession)
	if err != nil {
		return err
	}
	fmt.Printf("  ok, alice reads back %q\n", recs)

	fmt.Println("\nmallory (tenant_12) tries to read alice's session")
	if _, err = st.read(mallory, aliceSession); err == nil {
		return errors.New("cross-tenant read was not blocked")
	}
	fmt.Printf("  blocked: %v (errors.Is ErrForbidden: %t)\n", err, errors.Is(err, memoryns.ErrForbidden))

	fmt.Println("\nmallory asks an agent to use session id \"../../tenant_1/user/alice\"")
	_, err = scheme.ForSession(mallory, "../../tenant_1/user/alice")
	var idErr *memoryns.IDError
	if !errors.As(err, &idErr) {
		return fmt.Errorf("hostile session id was not rejected: %v", err)
	}
	fmt.Printf("  rejected: %v (IDError level %v, reason %q)\n", err, idErr.Level, idErr.Reason)

	fmt.Println("\nmallory passes a forged namespace string")
	forged, err := scheme.Parse("/tenant/tenant_1/user/alice/session/chat-1/")
	if err != nil {
		return err
	}
	if _, err = st.read(mallory, forged); err == nil {
		return errors.New("forged namespace was not blocked")
	}
	fmt.Printf("  blocked: %v\n", err)

	cond, err := scheme.NamespaceCondition(memoryns.DefaultTenantTag)
	if err != nil {
		return err
	}
	fmt.Println("\nIAM condition for one ABAC policy shared by all tenants")
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("  ", "  ")
	fmt.Print("  ")
	return enc.Encode(cond)
}
