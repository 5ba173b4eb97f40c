//go:build tools

// This file pins the peer dependencies while the benchmarks are being written.
package benchmarks

import (
	_ "github.com/auth0/go-jwt-middleware/v2"
	_ "github.com/auth0/go-jwt-middleware/v2/validator"
	_ "github.com/casbin/casbin/v2"
	_ "github.com/cedar-policy/cedar-go"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/tenantkit/tenantkit/tenantctx"
)
