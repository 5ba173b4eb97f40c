package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ Registry = (*FileRegistry)(nil)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	// Write and rename, as a deployment tool would.
	tmp := filepath.Join(dir, "."+name+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, name)))
}

func policyJSON(id, tenantID, tool string) string {
	return `{"policyId":"` + id + `","tenantId":"` + tenantID + `","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["` + tool + `"]}]}`
}

func newTestDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "a.json", policyJSON("POL-A", "Tenant-A", "agent:tool:a"))
	writeFile(t, dir, "b.json", policyJSON("POL-B", "Tenant-B", "agent:tool:b"))
	writeFile(t, dir, "users.json", `{"alice":"Tenant-A","bob@example.com":"Tenant-B"}`)
	return dir
}

func allowedTool(t *testing.T, r Registry, tenantID, tool string) bool {
	t.Helper()
	d, err := Decide(context.Background(), r, tenant(tenantID), ResourceTypeTool, tool)
	return err == nil && d.Allowed
}

func TestFileRegistryLoad(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	writeFile(t, dir, "README.md", "not a policy")
	writeFile(t, dir, ".hidden.json", "{broken")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.json"), 0o700))

	r, err := NewFileRegistry(dir, FileConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	ctx := context.Background()

	assert.Equal(t, []string{"POL-A", "POL-B"}, r.PolicyIDs())
	tid, err := r.TenantOf(ctx, "bob@example.com")
	require.NoError(t, err)
	assert.Equal(t, "Tenant-B", tid)
	_, err = r.TenantOf(ctx, "mallory")
	require.ErrorIs(t, err, ErrUnknownUser)
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a"))
	assert.False(t, allowedTool(t, r, "Tenant-A", "agent:tool:b"))
	_, err = r.Policy(ctx, "Tenant-C")
	require.ErrorIs(t, err, ErrNoPolicy)
	require.NoError(t, r.Reload())
}

func TestNewFileRegistryRejects(t *testing.T) {
	t.Parallel()
	t.Run("bad files reported together", func(t *testing.T) {
		t.Parallel()
		dir := newTestDir(t)
		writeFile(t, dir, "c.json", `{"policyId":"POL-C","tenantId":"Tenant-C","rules":[{"effect":"allow","resourceType":"TOOL","resources":["x"]}]}`)
		writeFile(t, dir, "d.json", `{`)
		writeFile(t, dir, "users.json", `{"alice":"Tenant A"}`)
		_, err := NewFileRegistry(dir, FileConfig{})
		require.ErrorIs(t, err, ErrInvalidPolicy)
		var fe *FileError
		require.ErrorAs(t, err, &fe)
		msg := err.Error()
		assert.Contains(t, msg, `policy: file c.json: invalid policy document (1 problem); $.rules[0].effect: must be "ALLOW" or "DENY" (upper case), got "allow"`)
		assert.Contains(t, msg, "policy: file d.json: invalid policy document (1 problem); $: invalid JSON")
		assert.Contains(t, msg, `policy: file users.json: invalid users file (1 problem); $.alice: invalid tenant id "Tenant A"`)
	})
	t.Run("duplicate policy id", func(t *testing.T) {
		t.Parallel()
		dir := newTestDir(t)
		writeFile(t, dir, "c.json", policyJSON("POL-A", "Tenant-C", "x"))
		_, err := NewFileRegistry(dir, FileConfig{})
		require.ErrorIs(t, err, ErrDuplicatePolicy)
		assert.Contains(t, err.Error(), `policy: file c.json: $.policyId: duplicate policyId "POL-A" (first used by a.json)`)
	})
	t.Run("two policies for one tenant", func(t *testing.T) {
		t.Parallel()
		dir := newTestDir(t)
		writeFile(t, dir, "c.json", policyJSON("POL-C", "Tenant-A", "x"))
		_, err := NewFileRegistry(dir, FileConfig{})
		require.ErrorIs(t, err, ErrDuplicatePolicy)
		var de *DuplicateError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, "tenantId", de.Field)
	})
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		_, err := NewFileRegistry(filepath.Join(t.TempDir(), "nope"), FileConfig{})
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("bad config", func(t *testing.T) {
		t.Parallel()
		dir := newTestDir(t)
		for _, cfg := range []FileConfig{{UsersFile: "../users.json"}, {UsersFile: ".."}, {MaxFileSize: -1}, {PollInterval: -time.Second}} {
			_, err := NewFileRegistry(dir, cfg)
			require.Error(t, err, "%+v", cfg)
		}
	})
	t.Run("oversized file", func(t *testing.T) {
		t.Parallel()
		dir := newTestDir(t)
		_, err := NewFileRegistry(dir, FileConfig{MaxFileSize: 64})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "larger than 64 bytes")
	})
	t.Run("symlink out of the directory", func(t *testing.T) {
		t.Parallel()
		dir, outside := newTestDir(t), t.TempDir()
		writeFile(t, outside, "x.json", policyJSON("POL-X", "Tenant-X", "x"))
		require.NoError(t, os.Symlink(filepath.Join(outside, "x.json"), filepath.Join(dir, "x.json")))
		_, err := NewFileRegistry(dir, FileConfig{})
		require.Error(t, err)
		var fe *FileError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "x.json", fe.Name)
	})
}

func TestFileRegistryHotReload(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	var reports []error
	var mu sync.Mutex
	r, err := NewFileRegistry(dir, FileConfig{OnError: func(err error) {
		mu.Lock()
		reports = append(reports, err)
		mu.Unlock()
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	nReports := func() int { mu.Lock(); defer mu.Unlock(); return len(reports) }

	// A valid change is applied.
	writeFile(t, dir, "a.json", policyJSON("POL-A", "Tenant-A", "agent:tool:a2"))
	require.NoError(t, r.Reload())
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a2"))
	assert.False(t, allowedTool(t, r, "Tenant-A", "agent:tool:a"))

	// An invalid change keeps the last good version and is reported once.
	writeFile(t, dir, "a.json", `{"policyId":"POL-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["*"]}`)
	err = r.Reload()
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "a.json", fe.Name)
	require.ErrorIs(t, err, ErrInvalidPolicy)
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a2"))
	assert.False(t, allowedTool(t, r, "Tenant-A", "agent:tool:other"), "the broken version must not be used")
	require.Error(t, r.Reload(), "still broken")
	assert.Equal(t, 1, nReports(), "the same problem is reported once")

	// A new file for an existing tenant is rejected; the existing one stays.
	writeFile(t, dir, "a-copy.json", policyJSON("POL-A-COPY", "Tenant-A", "*"))
	err = r.Reload()
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	assert.Equal(t, 2, nReports())
	assert.False(t, allowedTool(t, r, "Tenant-A", "agent:tool:other"))
	require.NoError(t, os.Remove(filepath.Join(dir, "a-copy.json")))

	// A changed file that claims another file's tenant keeps its old version.
	writeFile(t, dir, "b.json", policyJSON("POL-B", "Tenant-A", "*"))
	err = r.Reload()
	require.ErrorIs(t, err, ErrDuplicatePolicy)
	assert.True(t, allowedTool(t, r, "Tenant-B", "agent:tool:b"))
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a2"))
	assert.False(t, allowedTool(t, r, "Tenant-A", "agent:tool:other"))

	// Fixing everything clears the problems.
	writeFile(t, dir, "a.json", policyJSON("POL-A", "Tenant-A", "agent:tool:a3"))
	writeFile(t, dir, "b.json", policyJSON("POL-B", "Tenant-B", "agent:tool:b"))
	require.NoError(t, r.Reload())
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a3"))

	// A deleted file removes its policy: the tenant is denied.
	require.NoError(t, os.Remove(filepath.Join(dir, "b.json")))
	require.NoError(t, r.Reload())
	_, err = r.Policy(context.Background(), "Tenant-B")
	require.ErrorIs(t, err, ErrNoPolicy)

	// A policy can move to another file name in one step.
	require.NoError(t, os.Rename(filepath.Join(dir, "a.json"), filepath.Join(dir, "tenant-a.json")))
	require.NoError(t, r.Reload())
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a3"))
}

func TestFileRegistryUsersReload(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	r, err := NewFileRegistry(dir, FileConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	ctx := context.Background()

	writeFile(t, dir, "users.json", `{"alice":"Tenant-B","carol":"Tenant-A"}`)
	require.NoError(t, r.Reload())
	tid, err := r.TenantOf(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "Tenant-B", tid)
	_, err = r.TenantOf(ctx, "bob@example.com")
	require.ErrorIs(t, err, ErrUnknownUser)

	writeFile(t, dir, "users.json", `{"alice":"Tenant-A","alice":"Tenant-B"}`)
	err = r.Reload()
	require.ErrorIs(t, err, ErrInvalidPolicy)
	assert.Contains(t, err.Error(), "duplicate field")
	tid, err = r.TenantOf(ctx, "carol")
	require.NoError(t, err, "last good users kept")
	assert.Equal(t, "Tenant-A", tid)

	require.NoError(t, os.Remove(filepath.Join(dir, "users.json")))
	require.NoError(t, r.Reload())
	_, err = r.TenantOf(ctx, "carol")
	require.ErrorIs(t, err, ErrUnknownUser)
}

func TestParseUsers(t *testing.T) {
	t.Parallel()
	u, err := ParseUsers([]byte(`{"alice":"Tenant-A","auth0|123":"Tenant-B"}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"alice": "Tenant-A", "auth0|123": "Tenant-B"}, u)
	u, err = ParseUsers([]byte(`{}`))
	require.NoError(t, err)
	assert.Empty(t, u)

	for in, want := range map[string]string{
		`[]`:                           "must be a JSON object",
		`{"alice":1}`:                  "must be a tenant id string",
		`{"a b":"Tenant-A"}`:           "invalid user id",
		`{"":"Tenant-A"}`:              "invalid user id",
		`{"alice":"../x"}`:             "invalid tenant id",
		`{"alice":"T"} x`:              "after top-level value",
		"{\"al\xffice\":\"Tenant-A\"}": "not valid UTF-8",
		`{"alice":"T","alice":"T"}`:    "duplicate field",
	} {
		_, err := ParseUsers([]byte(in))
		require.ErrorIs(t, err, ErrInvalidPolicy, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

func TestFileRegistryPolling(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	var bad atomic.Int32
	r, err := NewFileRegistry(dir, FileConfig{PollInterval: 5 * time.Millisecond, OnError: func(err error) {
		if errors.Is(err, ErrInvalidPolicy) {
			bad.Add(1)
		}
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })

	writeFile(t, dir, "a.json", policyJSON("POL-A", "Tenant-A", "agent:tool:polled"))
	require.Eventually(t, func() bool { return allowedTool(t, r, "Tenant-A", "agent:tool:polled") }, 5*time.Second, 5*time.Millisecond)

	writeFile(t, dir, "a.json", "{")
	require.Eventually(t, func() bool { return bad.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	assert.Equal(t, int32(1), bad.Load(), "a persisting problem is reported once")
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:polled"))

	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close is idempotent")
	err = r.Reload()
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "closed"))
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:polled"), "lookups keep working after Close")
}

func TestFileRegistryConcurrentReload(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	r, err := NewFileRegistry(dir, FileConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Tenant-B's policy is never touched: it must always be there.
				if !allowedTool(t, r, "Tenant-B", "agent:tool:b") {
					t.Error("Tenant-B lost its policy during a reload")
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		if i%2 == 0 {
			writeFile(t, dir, "a.json", "{")
		} else {
			writeFile(t, dir, "a.json", policyJSON("POL-A", "Tenant-A", "agent:tool:a"))
		}
		_ = r.Reload()
	}
	close(stop)
	wg.Wait()
}
