package tenanttest_test

import (
	"context"
	"fmt"

	"github.com/tenantkit/tenantkit/tenantctx"
	"github.com/tenantkit/tenantkit/tenantctx/tenanttest"
)

// Code under test reads the tenant from its context; tests give it one
// without minting a token.
func ExampleContext() {
	ctx := tenanttest.Context(context.Background(), "acme", tenanttest.WithTier("premium"), tenanttest.WithScopes("tools:read"))
	t, err := tenantctx.Require(ctx)
	fmt.Println(t, t.HasScope("tools:read"), err)
	// Output: tenant acme tier premium subject user-1 true <nil>
}
