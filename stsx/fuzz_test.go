package stsx_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/tenantkit/tenantkit/stsx"
)

// awsTagRE is AWS's documented pattern for tag keys and values.
var awsTagRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func FuzzSessionName(f *testing.F) {
	f.Add("", "t1", "alice")
	f.Add("agent", "t1", "alice@example.com")
	f.Add("", "t1.alice", "")
	f.Add("p", "t1", "a/b\nc")
	f.Add("", "", "")
	f.Add("x", strings.Repeat("t", 70), strings.Repeat("😀", 40))
	f.Add("", "t1", "\xff\xfe")
	f.Fuzz(func(t *testing.T, prefix, tenant, subject string) {
		name := stsx.SessionName(prefix, tenant, subject)
		if !sessionNameRE.MatchString(name) {
			t.Fatalf("invalid session name %q for (%q, %q, %q)", name, prefix, tenant, subject)
		}
		if name != stsx.SessionName(prefix, tenant, subject) {
			t.Fatal("not deterministic")
		}
		// Moving characters between the inputs, or appending bytes that
		// sanitise to the same readable text, must change the name.
		variants := [][3]string{
			{prefix, tenant + "_", subject},
			{prefix, tenant, subject + "\n"},
			{prefix + tenant, "", subject},
			{prefix, tenant + subject, ""},
			{prefix, "", tenant + subject},
		}
		for _, v := range variants {
			if v == [3]string{prefix, tenant, subject} {
				continue
			}
			if stsx.SessionName(v[0], v[1], v[2]) == name {
				t.Fatalf("(%q, %q, %q) and %q share session name %q", prefix, tenant, subject, v, name)
			}
		}
	})
}

func FuzzValidateTags(f *testing.F) {
	f.Add("TenantID", "t1")
	f.Add("aws:x", "v")
	f.Add("Tier", "gold\nTenantID=t2")
	f.Add("k", strings.Repeat("ü", 257))
	f.Add("Name", "Zoë Åström")
	f.Add("k", "a\u202eb")
	f.Add("", "\xff")
	f.Fuzz(func(t *testing.T, key, value string) {
		keyErr := stsx.ValidateTagKey(key)
		valErr := stsx.ValidateTagValue(key, value)

		wantKey := key != "" && utf8.ValidString(key) && utf8.RuneCountInString(key) <= stsx.MaxTagKeyLen &&
			awsTagRE.MatchString(key) && !strings.HasPrefix(strings.ToLower(key), "aws:")
		wantVal := utf8.ValidString(value) && utf8.RuneCountInString(value) <= stsx.MaxTagValueLen && awsTagRE.MatchString(value)
		if (keyErr == nil) != wantKey {
			t.Fatalf("ValidateTagKey(%q) = %v, AWS pattern says valid=%v", key, keyErr, wantKey)
		}
		if (valErr == nil) != wantVal {
			t.Fatalf("ValidateTagValue(%q) = %v, AWS pattern says valid=%v", value, valErr, wantVal)
		}
		for _, err := range []error{keyErr, valErr} {
			var te *stsx.TagError
			if err != nil && (!errors.As(err, &te) || !errors.Is(err, stsx.ErrInvalidTag)) {
				t.Fatalf("error %v is not a *TagError wrapping ErrInvalidTag", err)
			}
		}
		if valErr != nil && strings.ContainsAny(value, "\n\r") && strings.Contains(valErr.Error(), value) {
			t.Fatalf("error echoes the value: %v", valErr)
		}

		all := []types.Tag{{Key: aws.String(key), Value: aws.String(value)}, {Key: aws.String(strings.ToUpper(key)), Value: aws.String("v")}}
		err := stsx.ValidateTags(all, []string{key})
		if wantKey && wantVal && !errors.Is(err, stsx.ErrDuplicateTagKey) && strings.EqualFold(key, strings.ToUpper(key)) {
			t.Fatalf("keys %q and %q differ only in case but ValidateTags returned %v", key, strings.ToUpper(key), err)
		}
		if err == nil && !(wantKey && wantVal) {
			t.Fatalf("ValidateTags accepted invalid tag %q=%q", key, value)
		}
	})
}
