// Package ststest runs an in-process AWS Security Token Service endpoint for
// tests.
//
// The server speaks the AWS Query protocol that aws-sdk-go-v2's sts client
// uses: form-encoded POST bodies (Action=AssumeRole,
// Tags.member.N.Key, TransitiveTagKeys.member.N, …) answered with the same
// XML documents the real service returns, including Query-protocol XML error
// responses (a Throttling error is sent with HTTP 400, so the SDK's retryer
// classifies it as a throttle and retries it). It listens on 127.0.0.1 only.
//
// # Use in tests
//
// [NewServer] starts a server and closes it with the test; [Server.Client]
// returns a real *sts.Client pointed at it, with static credentials and a
// fast retryer:
//
//	srv := ststest.NewServer(t, ststest.WithLifetime(15*time.Minute))
//	client := srv.Client()
//	// ... exercise code that calls AssumeRole through client ...
//	calls := srv.Calls()
//	tag, _ := calls[0].Tag("TenantID")
//
// Programs that have no testing.TB (a demo's main function) use [New] and
// [Server.Close] instead.
//
// # Recorded calls
//
// Every request, successful or not, is recorded as a [Call] with the
// parameters a consumer wants to assert on: role ARN, session name, source
// identity, session tags, transitive tag keys, external id, session policy,
// duration and web identity token.
//
// # Validation
//
// Before issuing credentials the server applies the input checks of the
// real service and answers a violation with a ValidationError: the API
// version, a SigV4-signed AssumeRole, the role ARN, the role session name
// and source identity ([\w+=,.@-]{2,64}), the duration (900 to 43200
// seconds), the external id ([\w+=,.@:/-]{2,1224}), a session policy of at
// most 2048 characters, at most 50 session tags with keys of 1 to 128 and
// values of at most 256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@], no key
// starting with "aws:", no two keys equal ignoring case, and transitive
// keys that name session tags. A client that skips its own validation thus
// fails here as it would against STS.
//
// # Issued credentials
//
// Credentials issued by the server encode what they were issued for:
// [Decode] turns an aws.Credentials back into an [Issued] value carrying the
// tenant (the value of the tenant tag, by default "TenantID", or the tenant
// claim of a web identity token), the session name and the source identity,
// so tests can prove that no caller received another tenant's credentials.
//
// # Faults
//
// [Server.ThrottleNext], [Server.FailNext], [Server.SetLatency] and
// [Server.SetHook] inject throttling, errors, latency, or arbitrary per-call
// behaviour (for example blocking one tenant's calls on a channel).
package ststest
