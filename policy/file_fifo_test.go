//go:build unix

package policy

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A named pipe in the directory must be reported, not opened: opening it
// blocks until a writer appears, which would hang the reload (and Close,
// and every later reload) while holding the registry's lock.
func TestFileRegistryFIFODoesNotHang(t *testing.T) {
	t.Parallel()
	dir := newTestDir(t)
	r, err := NewFileRegistry(dir, FileConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o600))

	done := make(chan error, 1)
	go func() { done <- r.Reload() }()
	select {
	case err := <-done:
		require.Error(t, err)
		var fe *FileError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "pipe.json", fe.Name)
	case <-time.After(3 * time.Second):
		// Unblock the reload so that the test can finish.
		f, _ := openWriteNonblock(filepath.Join(dir, "pipe.json"))
		if f >= 0 {
			_ = syscall.Close(f)
		}
		t.Fatal("Reload blocked on a named pipe")
	}
	assert.True(t, allowedTool(t, r, "Tenant-A", "agent:tool:a"))
}

func openWriteNonblock(path string) (int, error) {
	return syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
}

// The type check before opening follows symbolic links inside the
// directory: a link to a regular file there is still loaded.
func TestFileRegistrySymlinkInsideDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, ".real-c", policyJSON("POL-C", "Tenant-C", "agent:tool:c"))
	require.NoError(t, os.Symlink(".real-c", filepath.Join(dir, "c.json")))
	r, err := NewFileRegistry(dir, FileConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	assert.True(t, allowedTool(t, r, "Tenant-C", "agent:tool:c"))
}
