package memoryns

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// ErrInvalidNamespace reports a namespace string or [Ref] that does not
// describe a namespace of the [Scheme]: wrong shape, unknown keyword, empty
// segment, missing or surplus id. An invalid id inside a namespace is also
// reported as an [*IDError], so both errors.Is(err, ErrInvalidNamespace) and
// errors.As(err, &idErr) hold.
var ErrInvalidNamespace = errors.New("memoryns: invalid namespace")

// ErrInvalidConfig reports a [Config] that [New] refuses.
var ErrInvalidConfig = errors.New("memoryns: invalid config")

// ErrTenantMismatch reports a tenant that does not own a silo-mode store.
var ErrTenantMismatch = errors.New("memoryns: tenant does not own this store")

// Layout is the shape of a [Template].
type Layout uint8

const (
	// LayoutHierarchical nests everything a tenant owns under one tenant
	// segment (pool mode):
	//
	//	global    /global/
	//	strategy  /strategy/{strategyId}/
	//	tenant    /tenant/{tenantId}/shared/
	//	user      /tenant/{tenantId}/user/{userId}/
	//	session   /tenant/{tenantId}/user/{userId}/session/{sessionId}/
	//
	// A tenant's IAM condition is then the single pattern
	// "/tenant/{tenantId}/*".
	LayoutHierarchical Layout = iota
	// LayoutAgentCore follows the Amazon Bedrock AgentCore Memory template
	// /strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}/,
	// with the composite actor id "tenantId:userId" in pool mode:
	//
	//	global    /global/
	//	strategy  /strategies/{memoryStrategyId}/shared/
	//	tenant    /tenant/{tenantId}/shared/
	//	user      /strategies/{memoryStrategyId}/actors/{tenantId}:{userId}/
	//	session   /strategies/{memoryStrategyId}/actors/{tenantId}:{userId}/sessions/{sessionId}/
	LayoutAgentCore
)

// String returns "hierarchical" or "agentcore".
func (l Layout) String() string {
	switch l {
	case LayoutHierarchical:
		return "hierarchical"
	case LayoutAgentCore:
		return "agentcore"
	}
	return fmt.Sprintf("layout(%d)", uint8(l))
}

// Mode says whether one store holds many tenants.
type Mode uint8

const (
	// ModePool (the zero value): one store holds every tenant, and every
	// tenant-owned namespace names its tenant.
	ModePool Mode = iota
	// ModeSilo: a store dedicated to one tenant ([Config.SiloTenantID]).
	// Namespaces omit the tenant: the tenant level becomes "/shared/", the
	// user level "/user/{userId}/" (hierarchical) or
	// "/strategies/{memoryStrategyId}/actors/{userId}/" (AgentCore).
	ModeSilo
)

// String returns "pool" or "silo".
func (m Mode) String() string {
	switch m {
	case ModePool:
		return "pool"
	case ModeSilo:
		return "silo"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Template names the layout and the fixed keyword segments of namespace
// strings. Empty keywords take the layout's defaults; the zero Template is
// the hierarchical layout with keywords global, strategy, tenant, shared,
// user and session. Keywords must be valid ids (at most [MaxKeywordLen]
// bytes) and pairwise distinct, which keeps parsing unambiguous: the level
// of a namespace follows from its first keyword and its number of segments.
type Template struct {
	Layout   Layout
	Global   string // default "global"
	Strategy string // default "strategy" (hierarchical) or "strategies" (AgentCore)
	Tenant   string // default "tenant"
	Shared   string // default "shared": the leaf that holds a tenant's (or an AgentCore strategy's) shared records
	User     string // default "user" (hierarchical) or "actors" (AgentCore)
	Session  string // default "session" (hierarchical) or "sessions" (AgentCore)
}

// HierarchicalTemplate returns the default hierarchical template.
func HierarchicalTemplate() Template {
	return Template{Layout: LayoutHierarchical, Global: "global", Strategy: "strategy", Tenant: "tenant", Shared: "shared", User: "user", Session: "session"}
}

// AgentCoreTemplate returns the default AgentCore Memory template.
func AgentCoreTemplate() Template {
	return Template{Layout: LayoutAgentCore, Global: "global", Strategy: "strategies", Tenant: "tenant", Shared: "shared", User: "actors", Session: "sessions"}
}

// Config configures a [Scheme].
type Config struct {
	// Template is the string layout; the zero value is hierarchical.
	Template Template
	// Mode is ModePool (default) or ModeSilo.
	Mode Mode
	// SiloTenantID is the tenant that owns the store in silo mode
	// (required there, and must be empty in pool mode). Every namespace of
	// a silo Scheme belongs to it, and only its principals get a [Scope].
	SiloTenantID string
	// MemoryStrategyID is the memory strategy that the convenience
	// builders (User, Session, ForUser, ForSession) put user and session
	// namespaces under in the AgentCore layout. Optional; without it those
	// builders fail in the AgentCore layout and [Scheme.Build] must be
	// given a strategy. Must be empty in the hierarchical layout.
	MemoryStrategyID string
	// ReadStrategies lists the strategy ids every principal may read at
	// the strategy level. Empty means none.
	ReadStrategies []string
	// TenantWriteScope is an OAuth scope that lets a principal write the
	// tenant level of its own tenant (for example "memory:tenant:write").
	// Empty means no scope grants it.
	TenantWriteScope string
	// TenantWriteEntitlement is an entitlement that lets a principal write
	// the tenant level of its own tenant. Empty means no entitlement
	// grants it.
	TenantWriteEntitlement string
	// UserID maps a tenant to the user id used in its namespaces. The
	// default is Tenant.Subject. The result must be a valid user id (see
	// [ValidateID]); map subjects such as "auth0|abc" or e-mail addresses
	// to a safe id here (for example a keyed hash), never by escaping.
	UserID func(*tenantctx.Tenant) (string, error)
}

// token is one segment of a namespace shape.
type token uint8

const (
	kwGlobal token = iota
	kwStrategy
	kwTenant
	kwShared
	kwUser
	kwSession
	idStrategy
	idTenant
	idUser
	idSession
	idActor     // "tenant:user" (pool mode only)
	numKeywords = kwSession + 1
)

var keywordNames = [numKeywords]string{"Global", "Strategy", "Tenant", "Shared", "User", "Session"}

// maxSegments is the largest number of segments of any shape.
const maxSegments = 6

// Scheme builds, parses and checks namespaces of one [Template] and
// [Mode]. It is immutable after [New] and safe for concurrent use.
type Scheme struct {
	layout         Layout
	silo           bool
	siloTenant     string
	kw             [numKeywords]string
	shapes         [LevelSession + 1][]token
	needs          [LevelSession + 1]needs
	memoryStrategy string
	readStrategies []string
	writeScope     string
	writeEnt       string
	userID         func(*tenantctx.Tenant) (string, error)
}

// New validates cfg and returns a Scheme.
func New(cfg Config) (*Scheme, error) {
	t := cfg.Template
	var def Template
	switch t.Layout {
	case LayoutHierarchical:
		def = HierarchicalTemplate()
	case LayoutAgentCore:
		def = AgentCoreTemplate()
	default:
		return nil, fmt.Errorf("%w: unknown layout %v", ErrInvalidConfig, t.Layout)
	}
	s := &Scheme{layout: t.Layout, userID: cfg.UserID}
	for i, p := range []struct{ v, d string }{
		kwGlobal: {t.Global, def.Global}, kwStrategy: {t.Strategy, def.Strategy}, kwTenant: {t.Tenant, def.Tenant},
		kwShared: {t.Shared, def.Shared}, kwUser: {t.User, def.User}, kwSession: {t.Session, def.Session},
	} {
		k := p.v
		if k == "" {
			k = p.d
		}
		if err := validateID(0, k, MaxKeywordLen); err != nil {
			return nil, fmt.Errorf("%w: %s keyword: %s", ErrInvalidConfig, keywordNames[i], err.(*IDError).Reason)
		}
		if slices.Contains(s.kw[:i], k) {
			return nil, fmt.Errorf("%w: keyword %q used twice", ErrInvalidConfig, k)
		}
		s.kw[i] = k
	}
	switch cfg.Mode {
	case ModePool:
		if cfg.SiloTenantID != "" {
			return nil, fmt.Errorf("%w: SiloTenantID set in pool mode", ErrInvalidConfig)
		}
	case ModeSilo:
		if err := validateID(LevelTenant, cfg.SiloTenantID, MaxTenantIDLen); err != nil {
			return nil, fmt.Errorf("%w: SiloTenantID: %w", ErrInvalidConfig, err)
		}
		s.silo, s.siloTenant = true, cfg.SiloTenantID
	default:
		return nil, fmt.Errorf("%w: unknown mode %v", ErrInvalidConfig, cfg.Mode)
	}
	if cfg.MemoryStrategyID != "" {
		if t.Layout != LayoutAgentCore {
			return nil, fmt.Errorf("%w: MemoryStrategyID is only used by the AgentCore layout", ErrInvalidConfig)
		}
		if err := validateID(LevelStrategy, cfg.MemoryStrategyID, MaxStrategyIDLen); err != nil {
			return nil, fmt.Errorf("%w: MemoryStrategyID: %w", ErrInvalidConfig, err)
		}
		s.memoryStrategy = cfg.MemoryStrategyID
	}
	for _, id := range cfg.ReadStrategies {
		if err := validateID(LevelStrategy, id, MaxStrategyIDLen); err != nil {
			return nil, fmt.Errorf("%w: ReadStrategies: %w", ErrInvalidConfig, err)
		}
	}
	s.readStrategies = slices.Clone(cfg.ReadStrategies)
	s.writeScope, s.writeEnt = cfg.TenantWriteScope, cfg.TenantWriteEntitlement

	s.shapes[LevelGlobal] = []token{kwGlobal}
	switch {
	case t.Layout == LayoutHierarchical && !s.silo:
		s.shapes[LevelStrategy] = []token{kwStrategy, idStrategy}
		s.shapes[LevelTenant] = []token{kwTenant, idTenant, kwShared}
		s.shapes[LevelUser] = []token{kwTenant, idTenant, kwUser, idUser}
		s.shapes[LevelSession] = []token{kwTenant, idTenant, kwUser, idUser, kwSession, idSession}
	case t.Layout == LayoutHierarchical && s.silo:
		s.shapes[LevelStrategy] = []token{kwStrategy, idStrategy}
		s.shapes[LevelTenant] = []token{kwShared}
		s.shapes[LevelUser] = []token{kwUser, idUser}
		s.shapes[LevelSession] = []token{kwUser, idUser, kwSession, idSession}
	case !s.silo: // AgentCore, pool
		s.shapes[LevelStrategy] = []token{kwStrategy, idStrategy, kwShared}
		s.shapes[LevelTenant] = []token{kwTenant, idTenant, kwShared}
		s.shapes[LevelUser] = []token{kwStrategy, idStrategy, kwUser, idActor}
		s.shapes[LevelSession] = []token{kwStrategy, idStrategy, kwUser, idActor, kwSession, idSession}
	default: // AgentCore, silo
		s.shapes[LevelStrategy] = []token{kwStrategy, idStrategy, kwShared}
		s.shapes[LevelTenant] = []token{kwShared}
		s.shapes[LevelUser] = []token{kwStrategy, idStrategy, kwUser, idUser}
		s.shapes[LevelSession] = []token{kwStrategy, idStrategy, kwUser, idUser, kwSession, idSession}
	}
	for l := LevelGlobal; l <= LevelSession; l++ {
		s.needs[l] = uses(s.shapes[l])
	}
	return s, nil
}

// Layout returns the scheme's layout.
func (s *Scheme) Layout() Layout { return s.layout }

// Mode returns the scheme's mode.
func (s *Scheme) Mode() Mode {
	if s.silo {
		return ModeSilo
	}
	return ModePool
}

// Ref names a namespace by level and ids, for [Scheme.Build].
type Ref struct {
	Level      Level
	StrategyID string // strategy level; user and session levels in the AgentCore layout
	TenantID   string // tenant, user and session levels (silo mode: empty or the store's tenant)
	UserID     string // user and session levels
	SessionID  string // session level
}

// needs says which ids a shape contains.
type needs struct{ strategy, tenant, user, session bool }

func uses(shape []token) (n needs) {
	for _, t := range shape {
		switch t {
		case idStrategy:
			n.strategy = true
		case idTenant:
			n.tenant = true
		case idUser:
			n.user = true
		case idSession:
			n.session = true
		case idActor:
			n.tenant, n.user = true, true
		}
	}
	return n
}

// Build validates r and returns its namespace. Every id the level needs must
// be present and valid; an id the level does not use is an error, not
// ignored. In silo mode TenantID may be empty; if set it must be the
// store's tenant ([ErrTenantMismatch] otherwise).
func (s *Scheme) Build(r Ref) (Namespace, error) { return s.build(&r) }

func (s *Scheme) build(r *Ref) (Namespace, error) {
	if r.Level < LevelGlobal || r.Level > LevelSession {
		return Namespace{}, fmt.Errorf("%w: unknown level %v", ErrInvalidNamespace, r.Level)
	}
	shape, need := s.shapes[r.Level], s.needs[r.Level]
	if err := s.check(r.StrategyID, need.strategy, LevelStrategy, r.Level); err != nil {
		return Namespace{}, err
	}
	tenant := r.TenantID
	if s.silo {
		// The store's tenant owns every namespace; a tenant id, if given,
		// must be that tenant, and only levels that name a tenant take one.
		if tenant != "" {
			if r.Level < LevelTenant {
				return Namespace{}, fmt.Errorf("%w: the %v level of this template has no tenant id", ErrInvalidNamespace, r.Level)
			}
			if err := validateID(LevelTenant, tenant, MaxTenantIDLen); err != nil {
				return Namespace{}, err
			}
			if tenant != s.siloTenant {
				return Namespace{}, ErrTenantMismatch
			}
		}
		tenant = ""
	} else if err := s.check(tenant, need.tenant, LevelTenant, r.Level); err != nil {
		return Namespace{}, err
	}
	if err := s.check(r.UserID, need.user, LevelUser, r.Level); err != nil {
		return Namespace{}, err
	}
	if err := s.check(r.SessionID, need.session, LevelSession, r.Level); err != nil {
		return Namespace{}, err
	}
	return s.render(shape, r.Level, r.StrategyID, tenant, r.UserID, r.SessionID), nil
}

func (s *Scheme) check(id string, need bool, idLevel, level Level) error {
	if !need {
		if id != "" {
			return fmt.Errorf("%w: the %v level of this template has no %v id", ErrInvalidNamespace, level, idLevel)
		}
		return nil
	}
	return validateID(idLevel, id, maxIDLen(idLevel))
}

// render writes the canonical string of validated ids and records where
// each id lies in it.
func (s *Scheme) render(shape []token, level Level, strategy, tenant, user, session string) Namespace {
	// Every namespace this package builds is shorter than 512 bytes (see
	// MaxNamespaceLen), so the buffer stays on the stack and the string
	// conversion is the only allocation.
	var buf [512]byte
	n := Namespace{level: level, silo: s.silo}
	if s.silo {
		n.owner = s.siloTenant
	}
	b := append(buf[:0], '/')
	for _, t := range shape {
		var id string
		var sp *span
		switch t {
		case idStrategy:
			id, sp = strategy, &n.strategy
		case idTenant:
			id, sp = tenant, &n.tenant
		case idUser:
			id, sp = user, &n.user
		case idSession:
			id, sp = session, &n.session
		case idActor:
			n.tenant = span{uint16(len(b)), uint16(len(tenant))}
			b = append(b, tenant...)
			b = append(b, ActorSeparator)
			id, sp = user, &n.user
		default:
			b = append(b, s.kw[t]...)
			b = append(b, '/')
			continue
		}
		*sp = span{uint16(len(b)), uint16(len(id))}
		b = append(b, id...)
		b = append(b, '/')
	}
	n.s = string(b)
	return n
}

// Global returns the global namespace.
func (s *Scheme) Global() Namespace {
	n, _ := s.Build(Ref{Level: LevelGlobal}) // cannot fail
	return n
}

// Strategy returns the namespace of strategy strategyID.
func (s *Scheme) Strategy(strategyID string) (Namespace, error) {
	return s.build(&Ref{Level: LevelStrategy, StrategyID: strategyID})
}

// Tenant returns the tenant-level namespace of tenantID.
func (s *Scheme) Tenant(tenantID string) (Namespace, error) {
	return s.build(&Ref{Level: LevelTenant, TenantID: tenantID})
}

// User returns the namespace of user userID of tenant tenantID (in the
// AgentCore layout under [Config.MemoryStrategyID]).
func (s *Scheme) User(tenantID, userID string) (Namespace, error) {
	if err := s.needMemoryStrategy(); err != nil {
		return Namespace{}, err
	}
	return s.build(&Ref{Level: LevelUser, StrategyID: s.memoryStrategy, TenantID: tenantID, UserID: userID})
}

// Session returns the namespace of one session of a user (in the AgentCore
// layout under [Config.MemoryStrategyID]).
func (s *Scheme) Session(tenantID, userID, sessionID string) (Namespace, error) {
	if err := s.needMemoryStrategy(); err != nil {
		return Namespace{}, err
	}
	return s.build(&Ref{Level: LevelSession, StrategyID: s.memoryStrategy, TenantID: tenantID, UserID: userID, SessionID: sessionID})
}

func (s *Scheme) needMemoryStrategy() error {
	if s.layout == LayoutAgentCore && s.memoryStrategy == "" {
		return fmt.Errorf("%w: no Config.MemoryStrategyID for user and session namespaces; use Build with a StrategyID", ErrInvalidNamespace)
	}
	return nil
}

// ForTenant returns the tenant-level namespace of the tenant in ctx. It
// fails with [tenantctx.ErrNoTenant] when ctx carries none.
func (s *Scheme) ForTenant(ctx context.Context) (Namespace, error) {
	t, err := tenantctx.Require(ctx)
	if err != nil {
		return Namespace{}, err
	}
	return s.Tenant(t.ID)
}

// ForUser returns the user namespace of the principal in ctx: its tenant
// and its user id (see [Config.UserID]). It fails with
// [tenantctx.ErrNoTenant] when ctx carries no tenant.
func (s *Scheme) ForUser(ctx context.Context) (Namespace, error) {
	t, err := tenantctx.Require(ctx)
	if err != nil {
		return Namespace{}, err
	}
	u, err := s.principalUser(t)
	if err != nil {
		return Namespace{}, err
	}
	return s.User(t.ID, u)
}

// ForSession returns the namespace of session sessionID of the principal in
// ctx. It fails with [tenantctx.ErrNoTenant] when ctx carries no tenant.
func (s *Scheme) ForSession(ctx context.Context, sessionID string) (Namespace, error) {
	t, err := tenantctx.Require(ctx)
	if err != nil {
		return Namespace{}, err
	}
	u, err := s.principalUser(t)
	if err != nil {
		return Namespace{}, err
	}
	return s.Session(t.ID, u, sessionID)
}

func (s *Scheme) principalUser(t *tenantctx.Tenant) (string, error) {
	u := t.Subject
	if s.userID != nil {
		var err error
		if u, err = s.userID(t); err != nil {
			return "", fmt.Errorf("memoryns: user id: %w", err)
		}
	}
	if err := validateID(LevelUser, u, MaxUserIDLen); err != nil {
		return "", err
	}
	return u, nil
}

// Parse parses the canonical string form of a namespace of this scheme. It
// is strict: the string must begin and end with '/', have no empty
// segment, match one level's shape exactly and carry only valid ids, so
// that a successful Parse always satisfies ns.String() == str. In particular
// "/tenant/t1/user/u9" (no trailing slash), "/tenant/t1//user/u9/",
// "/tenant/../user/u9/", "/tenant/t1/user/u9/../../t2/" and
// "/strategies/s/actors/t1:u9:x/" are rejected. It never panics, and its
// errors never contain the input.
func (s *Scheme) Parse(str string) (Namespace, error) {
	if str == "" {
		return Namespace{}, fmt.Errorf("%w: empty", ErrInvalidNamespace)
	}
	if len(str) > MaxNamespaceLen {
		return Namespace{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidNamespace, MaxNamespaceLen)
	}
	if str[0] != '/' {
		return Namespace{}, fmt.Errorf("%w: must begin with '/'", ErrInvalidNamespace)
	}
	if len(str) < 2 || str[len(str)-1] != '/' {
		return Namespace{}, fmt.Errorf("%w: must end with '/' after the last segment", ErrInvalidNamespace)
	}
	var offs, lens [maxSegments]int
	nseg := 0
	for i := 1; i < len(str); {
		j := i
		for str[j] != '/' {
			j++
		}
		if j == i {
			return Namespace{}, fmt.Errorf("%w: empty segment at byte %d", ErrInvalidNamespace, i)
		}
		if nseg == maxSegments {
			return Namespace{}, fmt.Errorf("%w: more than %d segments", ErrInvalidNamespace, maxSegments)
		}
		offs[nseg], lens[nseg] = i, j-i
		nseg++
		i = j + 1
	}
	for l := LevelGlobal; l <= LevelSession; l++ {
		shape := s.shapes[l]
		if len(shape) != nseg || str[offs[0]:offs[0]+lens[0]] != s.kw[shape[0]] {
			continue
		}
		// The first keyword and the number of segments select at most one
		// shape (keywords are distinct); from here on every mismatch is final.
		n := Namespace{s: str, level: l, silo: s.silo}
		if s.silo {
			n.owner = s.siloTenant
		}
		for k, t := range shape {
			off, ln := offs[k], lens[k]
			seg := str[off : off+ln]
			sp := span{uint16(off), uint16(ln)}
			var err error
			switch t {
			case idStrategy:
				n.strategy, err = sp, validateID(LevelStrategy, seg, MaxStrategyIDLen)
			case idTenant:
				n.tenant, err = sp, validateID(LevelTenant, seg, MaxTenantIDLen)
			case idUser:
				n.user, err = sp, validateID(LevelUser, seg, MaxUserIDLen)
			case idSession:
				n.session, err = sp, validateID(LevelSession, seg, MaxSessionIDLen)
			case idActor:
				var tn, u string
				if tn, u, err = ParseActorID(seg); err == nil {
					n.tenant = span{uint16(off), uint16(len(tn))}
					n.user = span{uint16(off + len(tn) + 1), uint16(len(u))}
				}
			default:
				if seg != s.kw[t] {
					return Namespace{}, fmt.Errorf("%w: segment %d of a %v namespace must be %q", ErrInvalidNamespace, k+1, l, s.kw[t])
				}
			}
			if err != nil {
				return Namespace{}, fmt.Errorf("%w: segment %d: %w", ErrInvalidNamespace, k+1, err)
			}
		}
		return n, nil
	}
	return Namespace{}, fmt.Errorf("%w: matches no level of the %v %v template", ErrInvalidNamespace, s.layout, s.Mode())
}
