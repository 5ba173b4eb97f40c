package ststest_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/stsx/ststest"
)

const role = "arn:aws:iam::123456789012:role/tenant-data"

func TestAssumeRoleRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := ststest.NewServer(t, ststest.WithClock(func() time.Time { return now }), ststest.WithLifetime(20*time.Minute))
	out, err := srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:           aws.String(role),
		RoleSessionName:   aws.String("acme.alice"),
		SourceIdentity:    aws.String("alice"),
		ExternalId:        aws.String("ext"),
		Policy:            aws.String(`{"Version":"2012-10-17"}`),
		DurationSeconds:   aws.Int32(900),
		Tags:              []types.Tag{{Key: aws.String("TenantID"), Value: aws.String("acme")}, {Key: aws.String("Note"), Value: aws.String("a b+c=d/é:@")}},
		TransitiveTagKeys: []string{"TenantID"},
	})
	require.NoError(t, err)
	assert.Equal(t, now.Add(15*time.Minute), *out.Credentials.Expiration, "DurationSeconds wins over the default lifetime")
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/tenant-data/acme.alice", *out.AssumedRoleUser.Arn)
	assert.Equal(t, "alice", aws.ToString(out.SourceIdentity))

	calls := srv.Calls()
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, 1, c.Seq)
	assert.Equal(t, ststest.ActionAssumeRole, c.Action)
	assert.Equal(t, role, c.RoleARN)
	assert.Equal(t, "acme.alice", c.RoleSessionName)
	assert.Equal(t, "alice", c.SourceIdentity)
	assert.Equal(t, "ext", c.ExternalID)
	assert.Equal(t, `{"Version":"2012-10-17"}`, c.Policy)
	assert.Equal(t, 900, c.DurationSeconds)
	assert.Equal(t, []ststest.Tag{{Key: "TenantID", Value: "acme"}, {Key: "Note", Value: "a b+c=d/é:@"}}, c.Tags)
	assert.Equal(t, []string{"TenantID"}, c.TransitiveTagKeys)
	assert.True(t, c.Signed)
	assert.Equal(t, now, c.Time)
	assert.Equal(t, *out.Credentials.AccessKeyId, c.AccessKeyID)
	v, ok := c.Tag("tenantid")
	assert.True(t, ok)
	assert.Equal(t, "acme", v)

	creds := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SessionToken: *out.Credentials.SessionToken}
	is, err := ststest.Decode(creds)
	require.NoError(t, err)
	assert.Equal(t, "acme", is.TenantID)
	assert.Equal(t, "acme.alice", is.SessionName)
	assert.Equal(t, "alice", is.SourceIdentity)
	assert.Equal(t, role, is.RoleARN)
	assert.Equal(t, c.Tags, is.Tags)
}

func TestWebIdentityRoundTrip(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","tenant_id":"acme","aud":"sts"}`))
	tok := "eyJhbGciOiJub25lIn0." + payload + ".sig"
	out, err := srv.Client().AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(role),
		RoleSessionName:  aws.String("acme.alice"),
		WebIdentityToken: aws.String(tok),
	})
	require.NoError(t, err)
	assert.Equal(t, "alice", aws.ToString(out.SubjectFromWebIdentityToken))
	assert.Equal(t, "sts", aws.ToString(out.Audience))
	c := srv.Calls()[0]
	assert.Equal(t, ststest.ActionAssumeRoleWithWebIdentity, c.Action)
	assert.Equal(t, tok, c.WebIdentityToken)
	is, err := ststest.Decode(aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SessionToken: *out.Credentials.SessionToken})
	require.NoError(t, err)
	assert.Equal(t, "acme", is.TenantID)

	// An empty token is rejected like STS does.
	_, err = srv.Client().AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("acme.alice"), WebIdentityToken: aws.String(""),
	})
	requireAPIError(t, err, "ValidationError")
}

func requireAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, code, apiErr.ErrorCode())
}

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	srv.ThrottleNext(2)
	_, err := srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")})
	require.NoError(t, err)
	assert.Equal(t, 3, srv.CallCount(ststest.ActionAssumeRole))

	srv.ThrottleNext(3)
	_, err = srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")})
	requireAPIError(t, err, "Throttling")
	assert.Equal(t, 6, srv.CallCount(""))
}

func TestFaultsAreNotRetried(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	srv.FailNext(1, ststest.AccessDenied())
	_, err := srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")})
	requireAPIError(t, err, "AccessDenied")
	require.Equal(t, 1, srv.CallCount(""))
	assert.Equal(t, "AccessDenied", srv.Calls()[0].Fault.Code)
	assert.Empty(t, srv.Calls()[0].AccessKeyID)

	srv.SetHook(func(ctx context.Context, c ststest.Call) *ststest.Fault {
		if c.RoleSessionName == "blocked" {
			return &ststest.Fault{Status: http.StatusBadRequest, Code: "RegionDisabledException", Message: "disabled"}
		}
		return nil
	})
	_, err = srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("blocked")})
	var rd *types.RegionDisabledException
	require.ErrorAs(t, err, &rd, "modeled errors deserialize to their SDK types")
	_, err = srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("fine")})
	require.NoError(t, err)
}

func TestServerValidatesLikeSTS(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	tests := []struct {
		name string
		in   *sts.AssumeRoleInput
	}{
		{"bad session name", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("a/b")}},
		{"short session name", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("a")}},
		{"bad role", &sts.AssumeRoleInput{RoleArn: aws.String("role"), RoleSessionName: aws.String("ab")}},
		{"duplicate tags", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("a", "1"), tag("A", "2")}}},
		{"transitive not a tag", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), TransitiveTagKeys: []string{"x"}}},
		{"duration", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), DurationSeconds: aws.Int32(60)}},
		{"source identity", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), SourceIdentity: aws.String("a b")}},
		// Tag, external id and policy limits, so that a client that skips
		// validation fails here as it would against STS.
		{"tag value charset", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("TenantID", "t1\nTier=gold")}}},
		{"tag value length", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("k", strings.Repeat("v", 257))}}},
		{"tag key charset", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("a*b", "v")}}},
		{"tag key empty", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("", "v")}}},
		{"tag key length", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag(strings.Repeat("k", 129), "v")}}},
		{"tag key reserved", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Tags: []types.Tag{tag("AWS:x", "v")}}},
		{"external id charset", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), ExternalId: aws.String("a b")}},
		{"external id short", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), ExternalId: aws.String("a")}},
		{"policy length", &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab"), Policy: aws.String(`{"x":"` + strings.Repeat("p", 2048) + `"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := srv.Client().AssumeRole(context.Background(), tt.in)
			requireAPIError(t, err, "ValidationError")
		})
	}
}

func TestUnsignedAssumeRoleIsRejected(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {role}, "RoleSessionName": {"ab"}}
	resp, err := http.Post(srv.URL(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>MissingAuthenticationToken</Code>")
	assert.False(t, srv.Calls()[0].Signed)
}

func TestLatencyHonoursClientCancellation(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t, ststest.WithLatency(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := srv.Client().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab")})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
	srv.SetLatency(0)
	_, err = srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ab")})
	require.NoError(t, err)
}

func TestStscredsProviderWorksAgainstServer(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t, ststest.WithLifetime(30*time.Minute))
	p := stscreds.NewAssumeRoleProvider(srv.Client(), role, func(o *stscreds.AssumeRoleOptions) {
		o.Tags = []types.Tag{{Key: aws.String("TenantID"), Value: aws.String("acme")}}
	})
	creds, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.True(t, creds.CanExpire)
	is, err := ststest.Decode(creds)
	require.NoError(t, err)
	assert.Equal(t, "acme", is.TenantID)
}

func TestDecodeRejectsForeignCredentials(t *testing.T) {
	t.Parallel()
	for _, c := range []aws.Credentials{
		{},
		{AccessKeyID: "AKID", SessionToken: "real-token"},
		{AccessKeyID: "AKID", SessionToken: "ststest/v1/!!!"},
		{AccessKeyID: "AKID", SessionToken: "ststest/v1/" + base64.RawURLEncoding.EncodeToString([]byte(`{"seq":1,"tenant":"acme"}`))},
	} {
		_, err := ststest.Decode(c)
		require.ErrorIs(t, err, ststest.ErrNotIssued)
	}
}

func TestResetAndOptions(t *testing.T) {
	t.Parallel()
	_, err := ststest.New(ststest.WithLifetime(0))
	require.Error(t, err)
	_, err = ststest.New(ststest.WithClock(nil))
	require.Error(t, err)

	srv, err := ststest.New(ststest.WithTenantTagKey("Org"))
	require.NoError(t, err)
	defer srv.Close()
	assert.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"))
	out, err := srv.Client().AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("ab"),
		Tags: []types.Tag{{Key: aws.String("Org"), Value: aws.String("o1")}},
	})
	require.NoError(t, err)
	is, err := ststest.Decode(aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SessionToken: *out.Credentials.SessionToken})
	require.NoError(t, err)
	assert.Equal(t, "o1", is.TenantID)
	srv.Reset()
	assert.Empty(t, srv.Calls())
	srv.Close()
	srv.Close()
}
