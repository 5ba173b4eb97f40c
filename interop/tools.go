//go:build tools

// This file pins the interop peers while the tests are being written.
package interop

import (
	_ "github.com/stretchr/testify/require"
	_ "github.com/tenantkit/tenantkit/tenantctx"
	_ "github.com/zitadel/oidc/v3/pkg/oidc"
	_ "github.com/zitadel/oidc/v3/pkg/op"
)
