// Package dynamoreg is a [policy.Registry] stored in one Amazon DynamoDB
// table: users point to their tenant, tenants hold their tool-access policy
// document.
//
// It is a package of its own so that importing
// [github.com/tenantkit/tenantkit/policy] does not pull in the AWS SDK.
//
// # Table layout
//
// One table with a string partition key "PK" and a string sort key "SK"
// ([TableInput] returns the CreateTable input). Three kinds of item share
// it:
//
//	PK                    SK       attributes
//	USER#<userId>         TENANT   Type="user",   TenantID
//	TENANT#<tenantId>     POLICY   Type="policy", TenantID, PolicyID, Document
//	POLICYID#<policyId>   CLAIM    Type="policy-id-claim", TenantID
//
// A user item points to the user's tenant. A tenant item holds the tenant's
// policy document as a string, byte for byte as it was written, so the
// table is also the audit copy; a tenant has at most one policy by
// construction. Claim items make policy ids unique across tenants:
// [Registry.PutPolicy] writes the claim with a condition (absent, or already
// held by the same tenant) before it writes the tenant item.
//
// # Lookups
//
// Every lookup is a single GetItem by full key — no Scan, no Query — so a
// principal can be limited to the items of its own tenant with an IAM
// condition on dynamodb:LeadingKeys. User ids are checked with
// [policy.ValidateUserID] and tenant ids with [tenantctx.ValidateID] before
// they become part of a key; an invalid id is never sent.
//
// On read, the document is parsed and validated again, and it must name the
// tenant of its key and the PolicyID attribute of its item: a tampered or
// misfiled item is an error wrapping [policy.ErrInvalidPolicy] and is never
// used. Registry.Policy parses and compiles on every call; put a
// [policy.Cache] in front of it on the request path.
//
// # Testing
//
// The tests run against dynalite, a DynamoDB-compatible server from npm,
// started on 127.0.0.1 by the test itself. They find it through
// $TENANTKIT_DYNALITE or at
// $HOME/.cache/tenantkit-ci/dynalite/node_modules/.bin/dynalite (where
// .ci/run installs it); without it they skip, except under CI=true, where
// they fail.
package dynamoreg
