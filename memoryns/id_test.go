package memoryns

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateIDHostile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		level  Level
		id     string
		reason Reason
		pos    int
	}{
		{"empty", LevelTenant, "", ReasonEmpty, -1},
		{"tenant too long", LevelTenant, strings.Repeat("a", MaxTenantIDLen+1), ReasonTooLong, -1},
		{"user too long", LevelUser, strings.Repeat("a", MaxUserIDLen+1), ReasonTooLong, -1},
		{"session too long", LevelSession, strings.Repeat("a", MaxSessionIDLen+1), ReasonTooLong, -1},
		{"strategy too long", LevelStrategy, strings.Repeat("a", MaxStrategyIDLen+1), ReasonTooLong, -1},
		{"leading dash", LevelUser, "-u", ReasonLeadingChar, 0},
		{"leading underscore", LevelUser, "_u", ReasonLeadingChar, 0},
		{"slash", LevelUser, "u/9", ReasonSeparator, 1},
		{"leading slash", LevelUser, "/u9", ReasonSeparator, 0},
		{"trailing slash", LevelTenant, "t1/", ReasonSeparator, 2},
		{"colon", LevelUser, "t2:u9", ReasonSeparator, 2},
		{"dot", LevelSession, ".", ReasonDot, 0},
		{"dotdot", LevelSession, "..", ReasonDot, 0},
		{"dotdot traversal", LevelUser, "../t2", ReasonDot, 0},
		{"inner dot", LevelUser, "a.b", ReasonDot, 1},
		{"backslash", LevelUser, `a\b`, ReasonDisallowed, 1},
		{"space", LevelUser, "a b", ReasonWhitespace, 1},
		{"tab", LevelUser, "a\tb", ReasonWhitespace, 1},
		{"newline", LevelUser, "a\nb", ReasonWhitespace, 1},
		{"carriage return", LevelUser, "a\rb", ReasonWhitespace, 1},
		{"nul", LevelUser, "a\x00b", ReasonControl, 1},
		{"escape", LevelUser, "a\x1b[31m", ReasonControl, 1},
		{"del", LevelUser, "a\x7f", ReasonControl, 1},
		{"latin accent NFC", LevelUser, "caf\u00e9", ReasonNonASCII, 3},
		{"latin accent NFD", LevelUser, "cafe\u0301", ReasonNonASCII, 4},
		{"cyrillic a", LevelTenant, "\u0430cme", ReasonNonASCII, 0},
		{"fullwidth solidus", LevelUser, "a\uff0fb", ReasonNonASCII, 1},
		{"division slash", LevelUser, "a\u2215b", ReasonNonASCII, 1},
		{"zero width space", LevelUser, "a\u200bb", ReasonNonASCII, 1},
		{"nbsp", LevelUser, "a\u00a0b", ReasonNonASCII, 1},
		{"invalid utf8", LevelUser, "a\xffb", ReasonNonASCII, 1},
		{"glob star", LevelTenant, "t*", ReasonDisallowed, 1},
		{"glob question", LevelTenant, "t?", ReasonDisallowed, 1},
		{"policy variable", LevelTenant, "${aws:username}", ReasonDisallowed, 0},
		{"percent encoded slash", LevelUser, "a%2fb", ReasonDisallowed, 1},
		{"template brace", LevelUser, "{actorId}", ReasonDisallowed, 0},
		{"hash", LevelSession, "s#1", ReasonDisallowed, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateID(tc.level, tc.id)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidID)
			var ie *IDError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.level, ie.Level)
			assert.Equal(t, tc.reason, ie.Reason, ie.Error())
			assert.Equal(t, tc.pos, ie.Pos)
			if len(tc.id) >= 3 { // shorter ids may occur in the message by chance
				assert.NotContains(t, err.Error(), tc.id, "error must not echo the id")
			}
			assert.True(t, strings.HasPrefix(err.Error(), "memoryns: "))
		})
	}
}

func TestValidateIDValid(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"a", "Z", "0", "tenant_123", "user-456", "A-b_C", strings.Repeat("x", MaxTenantIDLen)} {
		assert.NoError(t, ValidateID(LevelTenant, id), id)
	}
	assert.NoError(t, ValidateID(LevelUser, strings.Repeat("u", MaxUserIDLen)))
	assert.NoError(t, ValidateID(LevelSession, strings.Repeat("s", MaxSessionIDLen)))
	assert.NoError(t, ValidateID(LevelStrategy, strings.Repeat("s", MaxStrategyIDLen)))
	assert.ErrorIs(t, ValidateID(LevelGlobal, "x"), ErrInvalidID, "global has no id")
	assert.ErrorIs(t, ValidateID(0, "x"), ErrInvalidID)
}

func TestActorID(t *testing.T) {
	t.Parallel()
	a, err := ActorID("tenant_123", "user_456")
	require.NoError(t, err)
	assert.Equal(t, "tenant_123:user_456", a)
	tn, u, err := ParseActorID(a)
	require.NoError(t, err)
	assert.Equal(t, "tenant_123", tn)
	assert.Equal(t, "user_456", u)

	_, err = ActorID("t1:x", "u")
	var ie *IDError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, LevelTenant, ie.Level)
	_, err = ActorID("t1", "u:x")
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, LevelUser, ie.Level)
	assert.Equal(t, ReasonSeparator, ie.Reason)
}

func TestParseActorIDHostile(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", ":", "t1", "t1:", ":u9", "t1:u9:x", "t1::u9", "t1:u9/", "t1/x:u9", "t1:../u9",
		"t1 :u9", "t1:u9\n", "t1:u\u00e9", "t*:u9", strings.Repeat("a", 300) + ":u",
		"t1:" + strings.Repeat("u", MaxUserIDLen+1),
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, _, err := ParseActorID(in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidID))
		})
	}
}

func TestReasonAndLevelString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "contains a separator", ReasonSeparator.String())
	assert.Equal(t, "reason(99)", Reason(99).String())
	assert.Equal(t, "session", LevelSession.String())
	assert.Equal(t, "level(0)", Level(0).String())
	assert.Equal(t, "memoryns: invalid user id: too long (max 128 bytes)", (&IDError{Level: LevelUser, Reason: ReasonTooLong, Pos: -1}).Error())
}
