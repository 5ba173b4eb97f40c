// Package stsx vends temporary AWS credentials per tenant through AWS STS
// session tags, and caches them so that a pooled runtime can ask for
// credentials on every request.
//
// A [Provider] turns the verified [tenantctx.Tenant] of a request into an
// AssumeRole call whose session tags carry the tenant (TenantID=t1, and
// optionally the tier, the user or any claim), so that IAM ABAC policies
// with ${aws:PrincipalTag/TenantID} keep each tenant inside its own data.
// In [ModeWebIdentity] it calls AssumeRoleWithWebIdentity with the
// tenant's token instead, for setups where the tags come from the token.
//
// # One aws.Config for every tenant
//
// [Provider] implements aws.CredentialsProvider. Its Retrieve reads the
// tenant from the context of the AWS call and fails closed with
// tenantctx.ErrNoTenant when there is none, so a single aws.Config (and a
// single DynamoDB or S3 client) serves every tenant:
//
//	p, err := stsx.New(sts.NewFromConfig(cfg), stsx.Config{RoleARN: roleARN})
//	awsCfg := cfg.Copy()
//	awsCfg.Credentials = p // NOT aws.NewCredentialsCache(p)
//	db := dynamodb.NewFromConfig(awsCfg)
//	out, err := db.GetItem(tenantctx.NewContext(ctx, tenant), in)
//
// # Never wrap it in aws.CredentialsCache
//
// aws.CredentialsCache holds exactly one credential, whoever asked for it:
// after tenant A's request fills it, tenant B's request is signed with
// tenant A's credentials, and IAM then lets B read A's data. The Provider
// has its own cache, keyed by tenant. config.LoadDefaultConfig wraps any
// provider given through config.WithCredentialsProvider in such a cache,
// so assign the Provider to aws.Config.Credentials after loading instead.
//
// As a safety net, Retrieve recognises the context that
// aws.CredentialsCache passes to the provider it wraps and fails with
// [ErrWrappedInCache], so a wrapped Provider breaks loudly on its first
// call instead of leaking credentials across tenants. The check relies on
// the SDK's internals and is a last line of defence, not a licence.
//
// A provider bound to one tenant ([Provider.ForTenant]) may be wrapped:
// it only ever returns that tenant's credentials.
//
// # Session tags, session names and limits
//
// The tenant id is always sent under [Config.TenantTagKey]; [Config.Tags]
// adds more ([TierTag], [SubjectTag], [ClaimTag]). [Config.SourceIdentity]
// sets a sticky source identity ([SubjectSourceIdentity]). The role
// session name is built by [SessionName]: readable, deterministic, 2 to 64
// characters of [\w+=,.@-] and distinct per tenant and user.
//
// Values that come from tokens are checked against AWS's limits before any
// call: at most [MaxTags] tags, keys up to [MaxTagKeyLen] and values up to
// [MaxTagValueLen] characters of [\p{L}\p{Z}\p{N}_.:/=+\-@], keys unique
// ignoring case and never starting with "aws:". A violation is a
// *[TagError] wrapping [ErrInvalidTag]; it never contains the rejected
// value. The tenant id must pass tenantctx.ValidateID.
//
// # The cache
//
// Entries are keyed by every input that changes the credentials: the
// configuration (role, mode, tag keys, transitive keys, source identity,
// session-name prefix, duration, external id, session policy) and the
// tenant's inputs (id, subject, every tag value, source identity, and in
// web-identity mode the token). The key is a seeded 64-bit hash, but a hit
// also compares every input, so one tenant's entry never answers another
// tenant's request even on a hash collision.
//
//   - Bounded: at most [Config.MaxEntries] entries; the least recently used
//     entry of a shard is evicted.
//   - Refresh ahead: inside [Config.RefreshWindow] (plus random
//     [Config.RefreshJitter]) before expiry, callers keep receiving the
//     valid credential while one background call refreshes it.
//   - Single flight: N concurrent callers that miss on one key cause one
//     STS call. Calls run on context.WithoutCancel of the first caller's
//     context under [Config.RefreshTimeout]; a waiting caller whose own
//     context ends returns at once, without cancelling the call.
//   - Isolation: no lock is held during an STS call, so one tenant's slow
//     or failing call never delays another tenant.
//   - Errors: a failure is remembered for [Config.ErrorBackoff] (at most
//     [MaxErrorBackoff]) and returned as the same *[FetchError]; nothing
//     else about it is cached.
//   - Expiry: a credential is never returned at or after its expiration,
//     judged on both clocks: the monotonic one (a wall clock stepped
//     backwards cannot revive it) and the wall clock STS stamped
//     Expiration with (a monotonic clock that stood still while the
//     machine was suspended cannot revive it either). There is no margin
//     for skew between the local clock and STS's.
//
// # Performance
//
// A cache hit takes no lock and does not allocate: the key is a seeded
// hash of the tenant's inputs, shards publish immutable maps through atomic
// pointers, and the clock is read once (wall and monotonic).
// BenchmarkCredentials/hit measures it (about 87 ns, 0 allocs/op on an
// otherwise idle 2-core VM), next to BenchmarkCredentials/aws-credentialscache,
// aws.CredentialsCache over stscreds.AssumeRoleProvider on the same local
// endpoint (about 52 ns in the same run), which holds one credential for
// everyone and so does no tenant lookup at all.
//
// # Testing
//
// Package [github.com/tenantkit/tenantkit/stsx/ststest] runs an in-process
// STS endpoint that speaks the real wire protocol and records every call,
// for tests of code that uses this package.
package stsx
