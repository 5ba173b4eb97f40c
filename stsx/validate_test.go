package stsx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/stsx"
	"github.com/tenantkit/tenantkit/stsx/ststest"
	"github.com/tenantkit/tenantkit/tenantctx"
)

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestValidateTags(t *testing.T) {
	t.Parallel()
	many := make([]string, 0, 2*(stsx.MaxTags+1))
	for i := range stsx.MaxTags + 1 {
		many = append(many, "k"+strings.Repeat("x", i), "v")
	}
	tests := []struct {
		name       string
		tags       []types.Tag
		transitive []string
		want       error
	}{
		{"ok", tags("TenantID", "t1", "Tier", "premium"), []string{"TenantID"}, nil},
		{"ok unicode letters and spaces", tags("Name", "Zoë Åström 42", "path", "a/b:c=d+e-f@g.h_i"), nil, nil},
		{"ok empty value", tags("Tier", ""), nil, nil},
		{"ok 50 tags", tags(many[:2*stsx.MaxTags]...), nil, nil},
		{"too many tags", tags(many...), nil, stsx.ErrTooManyTags},
		{"too many transitive", tags("a", "b"), make([]string, stsx.MaxTags+1), stsx.ErrTooManyTags},
		{"empty key", tags("", "v"), nil, stsx.ErrTagKey},
		{"key too long", tags(strings.Repeat("k", stsx.MaxTagKeyLen+1), "v"), nil, stsx.ErrTagKey},
		{"key at limit", tags(strings.Repeat("k", stsx.MaxTagKeyLen), "v"), nil, nil},
		{"multibyte key at limit", tags(strings.Repeat("é", stsx.MaxTagKeyLen), "v"), nil, nil},
		{"reserved prefix", tags("aws:PrincipalTag", "v"), nil, stsx.ErrTagKey},
		{"reserved prefix any case", tags("AwS:x", "v"), nil, stsx.ErrTagKey},
		{"key with comma", tags("a,b", "v"), nil, stsx.ErrTagKey},
		{"value too long", tags("k", strings.Repeat("v", stsx.MaxTagValueLen+1)), nil, stsx.ErrTagValue},
		{"value at limit multibyte", tags("k", strings.Repeat("ü", stsx.MaxTagValueLen)), nil, nil},
		{"value newline", tags("TenantID", "t1\nTenantID=t2"), nil, stsx.ErrTagValue},
		{"value NUL", tags("TenantID", "t1\x00"), nil, stsx.ErrTagValue},
		{"value tab", tags("TenantID", "t1\tx"), nil, stsx.ErrTagValue},
		{"value ampersand (form injection)", tags("TenantID", "t1&Tags.member.2.Key=TenantID"), nil, stsx.ErrTagValue},
		{"value angle brackets", tags("k", "<script>"), nil, stsx.ErrTagValue},
		{"value quote", tags("k", `a"b`), nil, stsx.ErrTagValue},
		{"value policy variable", tags("k", "${aws:username}"), nil, stsx.ErrTagValue},
		{"value wildcard", tags("k", "t*"), nil, stsx.ErrTagValue},
		{"value comma", tags("k", "a,b"), nil, stsx.ErrTagValue},
		{"value invalid utf8", tags("k", "a\xffb"), nil, stsx.ErrTagValue},
		{"value bidi override", tags("k", "a\u202eb"), nil, stsx.ErrTagValue},
		{"value zero width joiner", tags("k", "a\u200db"), nil, stsx.ErrTagValue},
		{"value emoji", tags("k", "🙂"), nil, stsx.ErrTagValue},
		{"duplicate key", tags("TenantID", "a", "TenantID", "b"), nil, stsx.ErrDuplicateTagKey},
		{"duplicate key ignoring case", tags("TenantID", "a", "tenantid", "b"), nil, stsx.ErrDuplicateTagKey},
		{"transitive key not a tag", tags("TenantID", "a"), []string{"Tier"}, stsx.ErrTagKey},
		{"transitive key case-insensitive", tags("TenantID", "a"), []string{"tenantid"}, nil},
		{"nil key", []types.Tag{{Value: aws.String("v")}}, nil, stsx.ErrTagKey},
		{"nil value", []types.Tag{{Key: aws.String("k")}}, nil, stsx.ErrTagValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := stsx.ValidateTags(tt.tags, tt.transitive)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			require.ErrorIs(t, err, stsx.ErrInvalidTag)
			var te *stsx.TagError
			require.ErrorAs(t, err, &te)
			assert.True(t, strings.HasPrefix(err.Error(), "stsx: "), err.Error())
			for _, tg := range tt.tags {
				if v := aws.ToString(tg.Value); len(v) > 3 {
					assert.NotContains(t, err.Error(), v, "error echoes the rejected value")
				}
			}
		})
	}
}

func TestHostileTenantValuesRejectedBeforeSTS(t *testing.T) {
	t.Parallel()
	srv := ststest.NewServer(t)
	p := newProvider(t, srv, nil, stsx.Config{
		Tags:           []stsx.TagSource{stsx.TierTag("Tier"), stsx.SubjectTag("User"), stsx.ClaimTag("Dept", "dept")},
		SourceIdentity: stsx.SubjectSourceIdentity,
	})
	tests := []struct {
		name string
		t    *tenantctx.Tenant
		want error
	}{
		{"tier with newline", tenant("t1", "gold\nTenantID", "u1"), stsx.ErrTagValue},
		{"tier too long", tenant("t1", strings.Repeat("g", 257), "u1"), stsx.ErrTagValue},
		{"subject with pipe", tenant("t1", "", "auth0|123"), stsx.ErrTagValue},
		{"subject long for source identity", tenant("t1", "", strings.Repeat("u", 65)), stsx.ErrInvalidSourceIdentity},
		{"subject with slash for source identity", tenant("t1", "", "a/b"), stsx.ErrInvalidSourceIdentity},
		{"subject aws: prefix", tenant("t1", "", "aws:root"), stsx.ErrInvalidSourceIdentity},
		{"claim with ampersand", tenant("t1", "", "u1").WithToken("", map[string]any{"dept": "a&b"}), stsx.ErrTagValue},
		{"tenant id with slash", tenant("t1/../t2", "", "u1"), tenantctx.ErrInvalidTenantID},
		{"tenant id empty", tenant("", "", "u1"), tenantctx.ErrInvalidTenantID},
		{"tenant id with space", tenant("t1 t2", "", "u1"), tenantctx.ErrInvalidTenantID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Retrieve(ctxFor(tt.t))
			require.ErrorIs(t, err, tt.want)
		})
	}
	t.Cleanup(func() { assert.Zero(t, srv.CallCount(""), "hostile values reached STS") })
}

func TestValidateSourceIdentity(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"ab", "alice@example.com", "user_1+tag=x,y.z-w", strings.Repeat("a", 64)} {
		assert.NoError(t, stsx.ValidateSourceIdentity(s), s)
	}
	for _, s := range []string{"", "a", strings.Repeat("a", 65), "aws:x", "a b", "a/b", "a\nb", "ü-user", "a|b", "a;b"} {
		err := stsx.ValidateSourceIdentity(s)
		require.ErrorIs(t, err, stsx.ErrInvalidSourceIdentity, s)
	}
}

func TestSessionName(t *testing.T) {
	t.Parallel()
	type in struct{ prefix, tenant, subject string }
	inputs := []in{
		{"", "t1", "alice"},
		{"", "t1", "bob"},
		{"", "t2", "alice"},
		{"agent", "t1", "alice"},
		{"", "t1", ""},
		{"", "", ""},
		{"", "t1", "a.b"},
		{"", "t1", "a_b"},
		{"", "t1", "a b"},
		{"", "t1", "a/b"},
		{"", "t1.alice", ""}, // tries to look like tenant t1, user alice
		{"", "t1", "alice\n"},
		{"", "t1", "alice,role=admin"},
		{"", "t1", "ali\u0000ce"},
		{"", strings.Repeat("t", 64), strings.Repeat("u", 300)},
		{"", strings.Repeat("t", 64), strings.Repeat("u", 300) + "x"},
		{"", "t1", "😀😀"},
		{"", "t1", "😀😁"},
		{strings.Repeat("p", 30), "t1", "u"},
		{"p-x", "t1", "u"},
		{"p", "-x.t1", "u"},
		{"", "a.b", "c"}, // same readable text as ("a", "b.c")
		{"", "a", "b.c"},
		{"a", "b", "c"}, // same readable text as ("", "a.b", "c")
	}
	seen := map[string]in{}
	for _, x := range inputs {
		name := stsx.SessionName(x.prefix, x.tenant, x.subject)
		assert.Regexp(t, sessionNameRE, name, "%+v", x)
		assert.Equal(t, name, stsx.SessionName(x.prefix, x.tenant, x.subject), "deterministic")
		if prev, dup := seen[name]; dup {
			t.Errorf("%+v and %+v share session name %q", prev, x, name)
		}
		seen[name] = x
	}
	assert.True(t, strings.HasPrefix(stsx.SessionName("agent", "acme", "alice"), "agent.acme.alice."))
	assert.True(t, strings.HasPrefix(stsx.SessionName("", "acme", "a/b c"), "acme.a_b_c."))
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	tooMany := make([]stsx.TagSource, stsx.MaxTags)
	for i := range tooMany {
		tooMany[i] = stsx.TierTag("k" + strings.Repeat("x", i))
	}
	tests := []struct {
		name string
		cfg  stsx.Config
	}{
		{"no role", stsx.Config{}},
		{"role not an arn", stsx.Config{RoleARN: "role/tenant-data-role"}},
		{"unknown mode", stsx.Config{RoleARN: roleARN, Mode: 7}},
		{"web identity with tags", stsx.Config{RoleARN: roleARN, Mode: stsx.ModeWebIdentity, Tags: []stsx.TagSource{stsx.TierTag("Tier")}}},
		{"web identity with external id", stsx.Config{RoleARN: roleARN, Mode: stsx.ModeWebIdentity, ExternalID: "abc"}},
		{"token source without web identity", stsx.Config{RoleARN: roleARN, WebIdentityToken: func(ctx context.Context, t *tenantctx.Tenant) (string, error) { return "", nil }}},
		{"reserved tenant tag key", stsx.Config{RoleARN: roleARN, TenantTagKey: "aws:TenantID"}},
		{"bad tag key", stsx.Config{RoleARN: roleARN, Tags: []stsx.TagSource{stsx.TierTag("Ti er\n")}}},
		{"tag without value func", stsx.Config{RoleARN: roleARN, Tags: []stsx.TagSource{{Key: "Tier"}}}},
		{"duplicate of tenant key", stsx.Config{RoleARN: roleARN, Tags: []stsx.TagSource{stsx.TierTag("tenantid")}}},
		{"too many tags", stsx.Config{RoleARN: roleARN, Tags: tooMany}},
		{"unknown transitive key", stsx.Config{RoleARN: roleARN, TransitiveTagKeys: []string{"Tier"}}},
		{"prefix too long", stsx.Config{RoleARN: roleARN, SessionNamePrefix: "abcdefghijk"}},
		{"prefix bad char", stsx.Config{RoleARN: roleARN, SessionNamePrefix: "a/b"}},
		{"duration too short", stsx.Config{RoleARN: roleARN, Duration: time.Minute}},
		{"duration too long", stsx.Config{RoleARN: roleARN, Duration: 13 * time.Hour}},
		{"duration fractional", stsx.Config{RoleARN: roleARN, Duration: 20*time.Minute + time.Millisecond}},
		{"external id short", stsx.Config{RoleARN: roleARN, ExternalID: "a"}},
		{"external id bad char", stsx.Config{RoleARN: roleARN, ExternalID: "a b"}},
		{"policy not json", stsx.Config{RoleARN: roleARN, SessionPolicy: "{"}},
		{"policy too long", stsx.Config{RoleARN: roleARN, SessionPolicy: `"` + strings.Repeat("a", 2048) + `"`}},
		{"negative entries", stsx.Config{RoleARN: roleARN, MaxEntries: -1}},
		{"negative window", stsx.Config{RoleARN: roleARN, RefreshWindow: -time.Second}},
		{"backoff too long", stsx.Config{RoleARN: roleARN, ErrorBackoff: 2 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := stsx.New(&fakeSTS{}, tt.cfg)
			require.ErrorIs(t, err, stsx.ErrInvalidConfig)
			assert.Nil(t, p)
		})
	}
	_, err := stsx.New(nil, stsx.Config{RoleARN: roleARN})
	require.ErrorIs(t, err, stsx.ErrInvalidConfig)
	_, err = stsx.New(&fakeSTS{}, stsx.Config{RoleARN: roleARN, Tags: []stsx.TagSource{stsx.TierTag("Tier")}, TransitiveTagKeys: []string{"TenantID", "Tier"}})
	require.NoError(t, err)
	assert.False(t, errors.Is(err, stsx.ErrInvalidConfig))
}
