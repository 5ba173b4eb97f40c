// Package policy decides which tools a tenant may use.
//
// A shared agent runtime cannot trust the model to "not use" a tool: every
// tool call must be checked against the calling tenant's policy. This
// package parses the tool-access policy documents tenants already have,
// compiles them into an immutable evaluator, and looks them up through a
// [Registry] that maps users to tenants and tenants to policies.
//
// # Documents
//
// A policy document names one policy, the one tenant it applies to, and its
// rules:
//
//	{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
//	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:crm-*"]},
//	  {"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"},
//	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:forecast"],
//	   "condition":{"tiers":["premium"],"entitlements":["forecasting"]}}]}
//
// [Parse] is strict: field names are case-sensitive, unknown and duplicate
// fields are errors, and so are wrong types, missing fields, an effect other
// than "ALLOW" or "DENY", an empty resource list, malformed patterns, and
// two rules whose resource types differ only in case ("TOOL" and "tool":
// resource types are case-sensitive, so one of the rules could never apply).
// It reports every problem at once in a [*ValidationError], each one a
// [*FieldError] located by a path such as "$.rules[1].effect"; [Validate]
// returns the same problems as a list. [ValidateSet] checks documents meant
// to be used together and rejects duplicate policy ids and two policies for
// one tenant.
//
// Resources are exact names or patterns in which '*' matches any run of
// characters (including none); matching is case-sensitive. Resource names
// and patterns are 1 to [MaxResourceLen] bytes of printable ASCII without
// spaces. The characters ? [ ] { } and \ are reserved, and "**" is
// rejected, so that a pattern written for another glob syntax fails loudly
// instead of matching literally.
//
// A rule may carry a [Condition] on attributes of the verified
// [tenantctx.Tenant]: "tiers" (the tenant's tier is one of them),
// "entitlements" and "scopes" (the tenant has all of them). Every field that
// is present must hold. A rule whose condition does not hold does not match,
// so "premium tier only" tools need no code.
//
// # Evaluation
//
// [Compile] turns a document into a [Policy]. [Policy.Evaluate] applies, in
// order:
//
//  1. a nil policy, a nil tenant or an empty resource name is denied;
//  2. a policy applies only to its own tenant: evaluating Tenant-A's policy
//     for Tenant-B is denied with [ReasonOtherTenant];
//  3. a matching DENY rule wins over every ALLOW rule;
//  4. otherwise a matching ALLOW rule allows;
//  5. otherwise the request is denied with [ReasonNoMatch] (default deny).
//
// The [Decision] names the policy, the index of the rule that decided and
// its reason (or a generated one). [Policy.Filter] returns the subset of a
// tool list that a tenant may use, for an MCP tools/list response.
//
// A Policy keeps exact resource names in a hash map and wildcard patterns
// pre-split at their stars, with conditions compiled to slices, so a
// decision costs one map lookup plus a scan of the patterns and does not
// allocate. BenchmarkEvaluate measures it with 2 rules and with 1,000 rules
// plus wildcard rules; the nested benchmarks module compares the same
// decisions with cedar-go, OPA and casbin.
//
// # Registries
//
// A [Registry] maps a user to a tenant ([Registry.TenantOf]) and a tenant to
// its compiled policy ([Registry.Policy]). [Decide] combines the lookup with
// the evaluation and fails closed: a missing tenant, a missing policy, a
// registry error or a policy of another tenant yields a denied Decision and
// an error.
//
// Implementations:
//
//   - [MemoryRegistry] holds users and compiled policies in memory.
//   - [FileRegistry] reads a directory: one policy document per "*.json"
//     file and a users file ("users.json", {"alice":"Tenant-A",...}). The
//     constructor fails on any invalid file. [FileRegistry.Reload], called
//     explicitly or every FileConfig.PollInterval, applies valid changes
//     atomically; a file that became invalid, or that claims another file's
//     policy id or tenant, keeps its last good version and its problem is
//     returned and passed to FileConfig.OnError (once per distinct problem).
//     Files are read through an [os.Root], so symbolic links cannot escape
//     the directory.
//   - dynamoreg.Registry, in package
//     [github.com/tenantkit/tenantkit/policy/dynamoreg], reads one DynamoDB
//     table.
//   - [Cache] wraps any of them: answers are kept for a TTL, concurrent
//     misses for one key share a single lookup (singleflight) that does not
//     die with the first caller's context, the number of entries is bounded
//     (LRU), "unknown user"/"no policy" answers are kept only for a short
//     NegativeTTL and other errors not at all. Entries are keyed by user or
//     tenant id; a policy that the wrapped registry returns for another
//     tenant is rejected. After [Cache.InvalidateTenant] (or InvalidateUser,
//     Purge) returns, no caller is answered from a lookup that started
//     before it, and such a lookup does not fill the cache.
//
// User ids are validated by [ValidateUserID] and tenant ids by
// [tenantctx.ValidateID] before they become part of a key.
//
// # DynamoDB
//
// Package [github.com/tenantkit/tenantkit/policy/dynamoreg] stores users and
// policies in one DynamoDB table with a documented single-table layout. It is
// a separate package so that importing policy does not pull in the AWS SDK.
package policy
