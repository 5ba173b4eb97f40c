// Package memoryns builds, parses and checks memory namespaces that an agent
// cannot escape. In a pooled memory store every tenant's records share one
// store and the namespace on every read and write is the isolation
// boundary; memoryns makes sure no input can produce a namespace inside
// another tenant's, and that a principal reads and writes only its own.
//
// # Namespaces
//
// A [Namespace] has one of five levels: [LevelGlobal] (cross-tenant shared
// knowledge), [LevelStrategy] (patterns of one agent type or memory
// strategy), [LevelTenant], [LevelUser] and [LevelSession]. A [Scheme],
// created by [New] from a [Config], renders them in one canonical string
// form and parses that form back with [Scheme.Parse]. Two layouts exist
// ([Template]); in pool mode they are:
//
//	level     hierarchical (default)              AgentCore Memory
//	global    /global/                            /global/
//	strategy  /strategy/{s}/                      /strategies/{s}/shared/
//	tenant    /tenant/{t}/shared/                 /tenant/{t}/shared/
//	user      /tenant/{t}/user/{u}/               /strategies/{s}/actors/{t}:{u}/
//	session   /tenant/{t}/user/{u}/session/{x}/   /strategies/{s}/actors/{t}:{u}/sessions/{x}/
//
// The AgentCore layout matches the Amazon Bedrock AgentCore Memory namespace
// template /strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}/
// with the composite actor id "tenant:user" ([ActorID], [ParseActorID]);
// keywords are configurable. In silo mode ([ModeSilo], one store per tenant)
// the tenant is omitted: the tenant level is /shared/, users are
// /user/{u}/… or /strategies/{s}/actors/{u}/…, and the Scheme is bound to
// the store's tenant ([Config.SiloTenantID]).
//
// Every string begins and ends with '/'. AgentCore stores namespaces in
// that form too, and the trailing separator makes prefix confusion
// impossible: "/tenant/t1/" is not a prefix of "/tenant/t12/". Parsing is
// strict, so a parsed string always equals the canonical string of what it
// parsed to. The global level is /global/, not "/", because "/" is a prefix
// of every namespace.
//
// Builders: [Scheme.Global], [Scheme.Strategy], [Scheme.Tenant],
// [Scheme.User], [Scheme.Session], the general [Scheme.Build], and from the
// verified tenant in a context [Scheme.ForTenant], [Scheme.ForUser] and
// [Scheme.ForSession], which fail closed with [tenantctx.ErrNoTenant].
//
// # Ids
//
// Every id is 1 to a fixed number of bytes (strategy 100, tenant 64, user
// 128, session 100) of ASCII letters, digits, '_' and '-', starting with a
// letter or digit: AgentCore's pattern for memoryStrategyId and sessionId,
// a subset of its actorId pattern, and the charset of
// [tenantctx.ValidateID]. Ids are ASCII only, so Unicode normalization,
// look-alike letters and alternative slashes cannot matter; they are
// case-sensitive. Separators ('/', ':'), '.' (hence "." and ".."), empty
// ids, white space, control characters, non-ASCII bytes and every other
// character are rejected with an [*IDError] that wraps [ErrInvalidID] and
// names the [Reason]; errors never echo the id. Because no id can contain a
// separator, every namespace string parses in exactly one way.
//
// # Scope checks
//
// [Scheme.ScopeFor] derives a [Scope] once from a [tenantctx.Tenant]. A
// principal reads the global namespace, the strategies listed in
// [Config.ReadStrategies], its tenant's tenant level and its own user and
// its sessions; it writes its own user and sessions, and its tenant level
// only with [Config.TenantWriteScope] or [Config.TenantWriteEntitlement].
// [Scope.CanRead], [Scope.CanWrite] and [Scope.Check] compare parsed ids
// for equality, never string prefixes; [Scheme.Check] does the same for
// the tenant in a context. A denial is an [*AccessError] wrapping
// [ErrForbidden]. Nothing in a namespace string can make tenant A's scope
// read or write tenant B's namespace, and in silo mode another tenant gets
// no scope at all ([ErrTenantMismatch]).
//
// The layouts are chosen so that everything below a namespace a principal
// may read is readable by it as well: shared tenant and AgentCore strategy
// records live in a "shared" leaf, not in the parent of user namespaces.
// [OpRead] is therefore safe for prefix reads such as AgentCore's
// RetrieveMemoryRecords and ListMemoryRecords, whose namespace parameter
// matches every namespace beginning with it. Always pass the canonical
// string, with its trailing '/'.
//
// # IAM
//
// [Scheme.NamespacePatterns], [Scheme.NamespacePatternsForTag] and
// [Scheme.NamespaceCondition] emit StringLike values for the
// bedrock-agentcore:namespace condition key ([ConditionKeyNamespace]), for
// example "/tenant/${aws:PrincipalTag/TenantID}/*" for one ABAC policy
// shared by all tenants, and [Scheme.TenantPrefix] the literal prefix
// "/tenant/t1/". Every literal part before a wildcard ends with a
// separator. IAM's '*' also matches '/', so in the AgentCore layout the
// actor pattern "/strategies/*/actors/t1:*" would on its own admit
// "/strategies/s/actors/t2:u/actors/t1:x/", inside tenant t2's prefix:
// [Scheme.NamespaceCondition] therefore adds a StringNotLike of
// [Scheme.NamespaceExcludePatternsForTag]; whoever assembles the condition
// from [Scheme.NamespacePatterns] must add [Scheme.NamespaceExcludePatterns]
// the same way. [Scheme.ActorIDPattern] gives "t1:*" for the actorId key of
// short-term memory. Silo namespaces carry no tenant; isolate a silo store
// by its resource ARN ([ErrNoTenantSegment]).
//
// # Performance
//
// On a 2-core AMD EPYC VM: BenchmarkBuild (a session namespace) about
// 80 ns and one allocation, the string; BenchmarkCheck (a precomputed
// Scope) about 12 ns and no allocation; BenchmarkCheckContext (tenant from
// the context, scope derived per call) about 37 ns and no allocation;
// BenchmarkParse about 65 ns and no allocation. A denied check allocates its
// [*AccessError].
package memoryns
