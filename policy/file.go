package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// DefaultUsersFile is the file of a [FileRegistry] directory that maps users
// to tenants.
const DefaultUsersFile = "users.json"

// FileConfig configures a [FileRegistry]. The zero value is usable.
type FileConfig struct {
	// UsersFile is the name of the file in the directory that maps user ids
	// to tenant ids, as a JSON object {"alice":"Tenant-A", ...}. Default
	// [DefaultUsersFile]. The file is optional; without it TenantOf knows
	// no user.
	UsersFile string
	// PollInterval, when positive, makes the registry reload the directory
	// periodically until Close is called. Without it, reload by calling
	// Reload (for example on SIGHUP).
	PollInterval time.Duration
	// OnError, when set, is called with the problems of a reload whenever
	// they differ from those of the previous reload, including reloads
	// triggered by polling. It is called synchronously from the reloading
	// goroutine and must not call Reload.
	OnError func(error)
	// MaxFileSize is the largest file read, in bytes. Default
	// [MaxDocumentSize].
	MaxFileSize int64
}

// FileError reports a problem with one file of a [FileRegistry] directory.
type FileError struct {
	// Name is the file name relative to the directory.
	Name string
	// Err is the problem: a [*ValidationError], a [*DuplicateError] or an
	// I/O error.
	Err error
}

// Error implements the error interface.
func (e *FileError) Error() string {
	return "policy: file " + e.Name + ": " + strings.TrimPrefix(e.Err.Error(), "policy: ")
}

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// FileRegistry is a [Registry] backed by a directory of JSON files: every
// "*.json" file directly in the directory, other than the users file and
// files whose name starts with '.', holds one policy document; the users
// file maps users to tenants. The file name of a policy does not matter: the
// document's tenantId says which tenant it belongs to.
//
// Files are read through an [os.Root], so a symbolic link cannot make the
// registry read outside the directory.
//
// Reloading is safe: a file that cannot be read, does not validate, or
// claims a policy id or tenant that another file already has keeps its last
// good version (or stays absent) and its problem is reported, while the
// other files are updated. A deleted file removes its policy. Lookups see
// either the old or the new state, never a mix. A FileRegistry is safe for
// concurrent use.
type FileRegistry struct {
	root    *os.Root
	cfg     FileConfig
	mu      sync.Mutex // serializes reloads; guards files, users*, lastReported
	files   map[string]*fileState
	usersH  [sha256.Size]byte
	users   map[string]string
	hasUser bool

	lastReported string
	state        atomic.Pointer[fileSnapshot]

	stop     chan struct{}
	done     chan struct{}
	closeErr error
	once     sync.Once
}

var _ Registry = (*FileRegistry)(nil)

type fileState struct {
	hash [sha256.Size]byte
	pol  *Policy
}

type fileSnapshot struct {
	users    map[string]string
	policies map[string]*Policy
}

// NewFileRegistry loads the policies and users in dir. It fails — reporting
// every problem, each as a [*FileError] — when any file is invalid, so that
// a misconfigured service does not start with part of its policies. Call
// Close when done; it stops polling and releases the directory.
func NewFileRegistry(dir string, cfg FileConfig) (*FileRegistry, error) {
	if cfg.UsersFile == "" {
		cfg.UsersFile = DefaultUsersFile
	}
	if cfg.UsersFile != strings.TrimSpace(cfg.UsersFile) || strings.ContainsAny(cfg.UsersFile, `/\`) || cfg.UsersFile == "." || cfg.UsersFile == ".." {
		return nil, fmt.Errorf("policy: file registry: users file must be a plain file name in the directory")
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = MaxDocumentSize
	}
	if cfg.MaxFileSize < 0 {
		return nil, fmt.Errorf("policy: file registry: negative MaxFileSize")
	}
	if cfg.PollInterval < 0 {
		return nil, fmt.Errorf("policy: file registry: negative PollInterval")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("policy: file registry: %w", err)
	}
	r := &FileRegistry{root: root, cfg: cfg, files: map[string]*fileState{}, users: map[string]string{}}
	if err := r.reload(false); err != nil {
		root.Close()
		return nil, err
	}
	if cfg.PollInterval > 0 {
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.poll()
	}
	return r, nil
}

func (r *FileRegistry) poll() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			_ = r.reload(true)
		}
	}
}

// Close stops polling and releases the directory. Lookups keep answering
// from the last loaded state; Reload fails after Close.
func (r *FileRegistry) Close() error {
	r.once.Do(func() {
		if r.stop != nil {
			close(r.stop)
			<-r.done
		}
		r.mu.Lock()
		r.closeErr = r.root.Close()
		r.root = nil
		r.mu.Unlock()
	})
	return r.closeErr
}

// TenantOf implements [Registry].
func (r *FileRegistry) TenantOf(_ context.Context, userID string) (string, error) {
	t, ok := r.state.Load().users[userID]
	if !ok {
		return "", ErrUnknownUser
	}
	return t, nil
}

// Policy implements [Registry].
func (r *FileRegistry) Policy(_ context.Context, tenantID string) (*Policy, error) {
	p, ok := r.state.Load().policies[tenantID]
	if !ok {
		return nil, ErrNoPolicy
	}
	return p, nil
}

// PolicyIDs returns the ids of the loaded policies, sorted.
func (r *FileRegistry) PolicyIDs() []string {
	s := r.state.Load()
	ids := make([]string, 0, len(s.policies))
	for _, p := range s.policies {
		ids = append(ids, p.ID())
	}
	slices.Sort(ids)
	return ids
}

// Reload re-reads the directory and applies every change that is valid. It
// returns the problems found (nil when there are none), each as a
// [*FileError]; the files concerned keep their last good version. Problems
// are also passed to FileConfig.OnError when they changed since the last
// reload.
func (r *FileRegistry) Reload() error {
	return r.reload(true)
}

type candidate struct {
	name    string
	hash    [sha256.Size]byte
	pol     *Policy
	changed bool
}

func (r *FileRegistry) reload(report bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.root == nil {
		return errors.New("policy: file registry: closed")
	}
	var problems []error
	fail := func(name string, err error) { problems = append(problems, &FileError{Name: name, Err: err}) }

	entries, err := fs.ReadDir(r.root.FS(), ".")
	if err != nil {
		err = fmt.Errorf("policy: file registry: read directory: %w", err)
		r.notify(report, err)
		return err
	}
	var cands []candidate
	usersSeen := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		if name == r.cfg.UsersFile {
			usersSeen = true
			continue
		}
		old := r.files[name]
		data, err := r.read(name)
		if err != nil {
			fail(name, err)
			if old != nil {
				cands = append(cands, candidate{name: name, hash: old.hash, pol: old.pol})
			}
			continue
		}
		h := sha256.Sum256(data)
		if old != nil && old.hash == h {
			cands = append(cands, candidate{name: name, hash: h, pol: old.pol})
			continue
		}
		pol, err := compileFile(data)
		if err != nil {
			fail(name, err)
			if old != nil {
				cands = append(cands, candidate{name: name, hash: old.hash, pol: old.pol})
			}
			continue
		}
		cands = append(cands, candidate{name: name, hash: h, pol: pol, changed: true})
	}

	// Unchanged files first: a bad change never evicts a good policy.
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.changed != b.changed {
			if a.changed {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	})
	byID := map[string]string{}     // policy id → file
	byTenant := map[string]string{} // tenant id → file
	files := make(map[string]*fileState, len(cands))
	policies := make(map[string]*Policy, len(cands))
	accept := func(c candidate) bool {
		if f, ok := byID[c.pol.ID()]; ok {
			fail(c.name, &DuplicateError{Path: "$.policyId", Field: "policyId", Value: c.pol.ID(), First: f})
			return false
		}
		if f, ok := byTenant[c.pol.TenantID()]; ok {
			fail(c.name, &DuplicateError{Path: "$.tenantId", Field: "tenantId", Value: c.pol.TenantID(), First: f})
			return false
		}
		byID[c.pol.ID()] = c.name
		byTenant[c.pol.TenantID()] = c.name
		files[c.name] = &fileState{hash: c.hash, pol: c.pol}
		policies[c.pol.TenantID()] = c.pol
		return true
	}
	for _, c := range cands {
		if accept(c) || !c.changed {
			continue
		}
		if old := r.files[c.name]; old != nil {
			accept(candidate{name: c.name, hash: old.hash, pol: old.pol})
		}
	}

	users := r.users
	if !usersSeen {
		users, r.hasUser = map[string]string{}, false
	} else if data, err := r.read(r.cfg.UsersFile); err != nil {
		fail(r.cfg.UsersFile, err)
	} else if h := sha256.Sum256(data); !r.hasUser || h != r.usersH {
		if u, err := parseUsers(data); err != nil {
			fail(r.cfg.UsersFile, err)
		} else {
			users, r.usersH, r.hasUser = u, h, true
		}
	}

	r.files, r.users = files, users
	r.state.Store(&fileSnapshot{users: users, policies: policies})
	err = errors.Join(problems...)
	r.notify(report, err)
	return err
}

// notify passes err to OnError when it differs from the last report.
func (r *FileRegistry) notify(report bool, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	changed := msg != r.lastReported
	r.lastReported = msg
	if report && changed && err != nil && r.cfg.OnError != nil {
		r.cfg.OnError(err)
	}
}

func (r *FileRegistry) read(name string) ([]byte, error) {
	// Check the type before opening: opening a named pipe or a device can
	// block the reload (which holds the lock) indefinitely.
	if st, err := r.root.Stat(name); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("policy: not a regular file")
	}
	f, err := r.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("policy: not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, r.cfg.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > r.cfg.MaxFileSize {
		return nil, fmt.Errorf("policy: file larger than %d bytes", r.cfg.MaxFileSize)
	}
	return data, nil
}

func compileFile(data []byte) (*Policy, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return Compile(doc)
}

// ParseUsers reads a users file: a JSON object mapping user ids to tenant
// ids, {"alice":"Tenant-A","bob":"Tenant-B"}. Every key must pass
// [ValidateUserID] and every value [tenantctx.ValidateID]; duplicate keys
// are errors. All problems are reported in a [*ValidationError].
func ParseUsers(data []byte) (map[string]string, error) { return parseUsers(data) }

func parseUsers(data []byte) (map[string]string, error) {
	u, err := parseUsersDoc(data)
	if err != nil {
		err.(*ValidationError).what = "users file"
		return nil, err
	}
	return u, nil
}

func parseUsersDoc(data []byte) (map[string]string, error) {
	var p problems
	if len(data) > MaxDocumentSize {
		p.add("$", "document larger than %d bytes", MaxDocumentSize)
		return nil, p.err("")
	}
	if !utf8.Valid(data) {
		p.add("$", "not valid UTF-8")
		return nil, p.err("")
	}
	root := decodeTree(data, &p)
	if root == nil {
		return nil, p.err("")
	}
	if root.kind != kindObject {
		p.add("$", "must be a JSON object mapping user ids to tenant ids, got %s", root.kind)
		return nil, p.err("")
	}
	users := make(map[string]string, len(root.keys))
	for i, k := range root.keys {
		path, v := member("$", k), root.vals[i]
		if err := ValidateUserID(k); err != nil {
			p.add(path, "%s", strings.TrimPrefix(err.Error(), "policy: "))
			continue
		}
		if v.kind != kindString {
			p.add(path, "must be a tenant id string, got %s", v.kind)
			continue
		}
		if err := tenantctx.ValidateID(v.str); err != nil {
			p.add(path, "invalid tenant id %s", quote(v.str))
			continue
		}
		users[k] = v.str
	}
	if err := p.err(""); err != nil {
		return nil, err
	}
	return users, nil
}
