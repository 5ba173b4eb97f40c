package ststest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Actions the server answers.
const (
	ActionAssumeRole                = "AssumeRole"
	ActionAssumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
)

// Default settings of a new server.
const (
	// DefaultLifetime is how long issued credentials stay valid unless
	// [WithLifetime] says otherwise.
	DefaultLifetime = time.Hour
	// DefaultTenantTagKey is the session tag whose value [Issued.TenantID]
	// reports for AssumeRole calls.
	DefaultTenantTagKey = "TenantID"
	// DefaultTenantClaim is the web identity token claim whose value
	// [Issued.TenantID] reports for AssumeRoleWithWebIdentity calls.
	DefaultTenantClaim = "tenant_id"
	// Region is the region of the aws.Config returned by [Server.Config].
	Region = "us-east-1"
	// AccessKeyID and SecretAccessKey are the static caller credentials of
	// [Server.Config]. The server does not verify signatures.
	AccessKeyID     = "AKIDSTSTEST"
	SecretAccessKey = "ststest-secret"
)

const (
	xmlns         = "https://sts.amazonaws.com/doc/2011-06-15/"
	tokenPrefix   = "ststest/v1/"
	maxBodyBytes  = 1 << 20
	accountID     = "123456789012"
	apiVersion    = "2011-06-15"
	maxTags       = 50
	maxTransitive = 50
)

var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	tagTextRE     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// ErrNotIssued reports that credentials were not issued by an ststest server.
var ErrNotIssued = errors.New("ststest: credentials not issued by ststest")

// Tag is one session tag of a recorded call, in the order it was sent.
type Tag struct {
	Key   string
	Value string
}

// Call is one request the server received.
type Call struct {
	// Seq numbers calls from 1 in the order the server received them.
	Seq int
	// Action is ActionAssumeRole, ActionAssumeRoleWithWebIdentity or
	// whatever else the client sent.
	Action           string
	RoleARN          string
	RoleSessionName  string
	SourceIdentity   string
	ExternalID       string
	Policy           string
	WebIdentityToken string
	ProviderID       string
	// DurationSeconds is 0 when the request did not name a duration.
	DurationSeconds   int
	Tags              []Tag
	TransitiveTagKeys []string
	// Signed reports whether the request carried an AWS SigV4 Authorization
	// header.
	Signed bool
	// Form is the raw decoded request body.
	Form url.Values
	// AccessKeyID is the access key issued by this call; empty when the call
	// failed.
	AccessKeyID string
	// Fault is the error the call was answered with, or nil.
	Fault *Fault
	// Time is the server clock when the call arrived.
	Time time.Time
}

// Tag returns the value of the session tag key (compared
// case-insensitively, as STS does) and whether the call carried it.
func (c Call) Tag(key string) (string, bool) {
	for _, t := range c.Tags {
		if strings.EqualFold(t.Key, key) {
			return t.Value, true
		}
	}
	return "", false
}

// Fault is a Query-protocol error response.
type Fault struct {
	// Status is the HTTP status; 400 when zero.
	Status int
	// Code is the AWS error code, for example "Throttling" or "AccessDenied".
	Code string
	// Message is the human-readable message.
	Message string
}

// Error implements error, so a Fault can be compared in tests.
func (f *Fault) Error() string { return "ststest: " + f.Code + ": " + f.Message }

// Throttling returns the fault STS sends when a caller exceeds its rate:
// HTTP 400 with code "Throttling", which the SDK retries as a throttle.
func Throttling() *Fault {
	return &Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
}

// AccessDenied returns an AccessDenied fault (HTTP 403), which the SDK does
// not retry.
func AccessDenied() *Fault {
	return &Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: "User is not authorized to perform: sts:AssumeRole"}
}

// Hook runs for every call before the server answers it. It may block (it
// receives the request's context, which is cancelled when the client goes
// away) and returns a fault to answer with, or nil to issue credentials.
type Hook func(ctx context.Context, c Call) *Fault

// Issued describes what a set of credentials issued by the server was
// issued for. See [Decode].
type Issued struct {
	Seq            int    `json:"seq"`
	Action         string `json:"action"`
	RoleARN        string `json:"role"`
	SessionName    string `json:"session"`
	SourceIdentity string `json:"source,omitempty"`
	// TenantID is the value of the tenant tag (AssumeRole) or of the tenant
	// claim of the web identity token (AssumeRoleWithWebIdentity); empty
	// when the call had none.
	TenantID string `json:"tenant,omitempty"`
	// Tags are the session tags of the call.
	Tags []Tag `json:"tags,omitempty"`
}

// Decode reports what credentials issued by an ststest server were issued
// for. It returns an error wrapping [ErrNotIssued] for any other
// credentials.
func Decode(c aws.Credentials) (Issued, error) {
	raw, ok := strings.CutPrefix(c.SessionToken, tokenPrefix)
	if !ok {
		return Issued{}, ErrNotIssued
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return Issued{}, fmt.Errorf("%w: %w", ErrNotIssued, err)
	}
	var is Issued
	if err := json.Unmarshal(b, &is); err != nil {
		return Issued{}, fmt.Errorf("%w: %w", ErrNotIssued, err)
	}
	if c.AccessKeyID != accessKeyFor(is.Seq) {
		return Issued{}, fmt.Errorf("%w: access key does not match session token", ErrNotIssued)
	}
	return is, nil
}

// Option configures a [Server].
type Option func(*settings)

type settings struct {
	lifetime     time.Duration
	now          func() time.Time
	latency      time.Duration
	hook         Hook
	tenantTagKey string
	tenantClaim  string
}

// WithLifetime sets how long issued credentials stay valid when the request
// names no duration. A request's DurationSeconds takes precedence.
func WithLifetime(d time.Duration) Option { return func(s *settings) { s.lifetime = d } }

// WithClock sets the clock the server stamps Expiration with. Tests that
// inject a clock into the code under test pass the same clock here.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithLatency delays every answer by d (or until the client goes away).
func WithLatency(d time.Duration) Option { return func(s *settings) { s.latency = d } }

// WithHook installs h; see [Hook] and [Server.SetHook].
func WithHook(h Hook) Option { return func(s *settings) { s.hook = h } }

// WithTenantTagKey names the session tag that [Issued.TenantID] reports.
func WithTenantTagKey(key string) Option { return func(s *settings) { s.tenantTagKey = key } }

// WithTenantClaim names the claim of a web identity token (a JWT, read
// without verification) that [Issued.TenantID] reports.
func WithTenantClaim(claim string) Option { return func(s *settings) { s.tenantClaim = claim } }

// Server is an in-process STS endpoint on 127.0.0.1. It is safe for
// concurrent use.
type Server struct {
	hs *httptest.Server

	mu         sync.Mutex
	set        settings
	calls      []Call
	seq        int
	failQueue  []*Fault
	closedOnce sync.Once
}

// New starts a server listening on 127.0.0.1. The caller must call
// [Server.Close]. Tests usually use [NewServer] instead.
func New(opts ...Option) (*Server, error) {
	set := settings{
		lifetime:     DefaultLifetime,
		now:          time.Now,
		tenantTagKey: DefaultTenantTagKey,
		tenantClaim:  DefaultTenantClaim,
	}
	for _, o := range opts {
		o(&set)
	}
	if set.lifetime <= 0 {
		return nil, errors.New("ststest: lifetime must be positive")
	}
	if set.now == nil {
		return nil, errors.New("ststest: clock must not be nil")
	}
	if set.latency < 0 {
		return nil, errors.New("ststest: latency must not be negative")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ststest: listen: %w", err)
	}
	s := &Server{set: set}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	_ = s.hs.Listener.Close()
	s.hs.Listener = ln
	s.hs.Start()
	return s, nil
}

// NewServer starts a server for the test tb and closes it when the test
// ends. It fails the test if the server cannot start.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server; it is safe to call more than once.
func (s *Server) Close() {
	s.closedOnce.Do(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
	})
}

// URL returns the endpoint's base URL, for example http://127.0.0.1:41234.
func (s *Server) URL() string { return s.hs.URL }

// Config returns an aws.Config for the server: region [Region], static
// credentials [AccessKeyID]/[SecretAccessKey], BaseEndpoint [Server.URL],
// and the standard retryer with at most 3 attempts, a 1 ms back-off and no
// retry quota, so tests that inject throttling run fast.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   s.hs.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
					return time.Millisecond, nil
				})
			})
		},
	}
}

// Client returns an *sts.Client for [Server.Config]; optFns adjust its
// options (for example o.RetryMaxAttempts = 1 to see every throttle).
func (s *Server) Client(optFns ...func(*sts.Options)) *sts.Client {
	return sts.NewFromConfig(s.Config(), optFns...)
}

// Calls returns a deep copy of every call received so far, in arrival
// order. A call that is still being answered has no AccessKeyID or Fault
// yet.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Tags = slices.Clone(c.Tags)
		c.TransitiveTagKeys = slices.Clone(c.TransitiveTagKeys)
		form := make(url.Values, len(c.Form))
		for k, v := range c.Form {
			form[k] = slices.Clone(v)
		}
		c.Form = form
		if c.Fault != nil {
			f := *c.Fault
			c.Fault = &f
		}
		out[i] = c
	}
	return out
}

// CallCount returns how many calls for action have been received; an empty
// action counts every call.
func (s *Server) CallCount(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "" {
		return len(s.calls)
	}
	n := 0
	for i := range s.calls {
		if s.calls[i].Action == action {
			n++
		}
	}
	return n
}

// Reset forgets recorded calls and queued faults. Issued sequence numbers
// keep increasing.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.failQueue = nil
}

// ThrottleNext answers the next n calls with [Throttling].
func (s *Server) ThrottleNext(n int) {
	for range n {
		s.FailNext(1, Throttling())
	}
}

// FailNext answers the next n calls with f.
func (s *Server) FailNext(n int, f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failQueue = append(s.failQueue, f)
	}
}

// SetLatency delays every later answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set.latency = d
}

// SetLifetime sets the lifetime of credentials issued later; see
// [WithLifetime].
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.set.lifetime = d
	}
}

// SetHook replaces the hook; nil removes it. Queued faults from
// [Server.FailNext] take precedence over the hook.
func (s *Server) SetHook(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set.hook = h
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeFault(w, &Fault{Status: http.StatusMethodNotAllowed, Code: "InvalidAction", Message: "use POST"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeFault(w, &Fault{Code: "MalformedQueryString", Message: "cannot parse request body"})
		return
	}
	c := parseCall(r.PostForm)
	c.Signed = strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")

	s.mu.Lock()
	s.seq++
	c.Seq = s.seq
	c.Time = s.set.now()
	latency, hook, lifetime := s.set.latency, s.set.hook, s.set.lifetime
	var queued *Fault
	if len(s.failQueue) > 0 {
		queued = s.failQueue[0]
		s.failQueue = s.failQueue[1:]
	}
	s.calls = append(s.calls, c)
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	fault := queued
	if fault == nil {
		fault = validate(c)
	}
	if fault == nil && hook != nil {
		fault = hook(r.Context(), c)
	}
	if fault != nil {
		s.record(c.Seq, func(rc *Call) { rc.Fault = fault })
		writeFault(w, fault)
		return
	}

	if c.DurationSeconds > 0 {
		lifetime = time.Duration(c.DurationSeconds) * time.Second
	}
	is := Issued{
		Seq:            c.Seq,
		Action:         c.Action,
		RoleARN:        c.RoleARN,
		SessionName:    c.RoleSessionName,
		SourceIdentity: c.SourceIdentity,
		Tags:           c.Tags,
	}
	if c.Action == ActionAssumeRole {
		is.TenantID, _ = c.Tag(s.set.tenantTagKey)
	} else {
		is.TenantID = jwtClaim(c.WebIdentityToken, s.set.tenantClaim)
	}
	raw, err := json.Marshal(is)
	if err != nil {
		writeFault(w, &Fault{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "cannot encode credentials"})
		return
	}
	cr := xmlCredentials{
		AccessKeyID:     accessKeyFor(c.Seq),
		SecretAccessKey: "ststest-secret-" + strconv.Itoa(c.Seq),
		SessionToken:    tokenPrefix + base64.RawURLEncoding.EncodeToString(raw),
		Expiration:      c.Time.Add(lifetime).UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	s.record(c.Seq, func(rc *Call) { rc.AccessKeyID = cr.AccessKeyID })

	user := xmlRoleUser{
		Arn:           "arn:aws:sts::" + accountID + ":assumed-role/" + roleName(c.RoleARN) + "/" + c.RoleSessionName,
		AssumedRoleID: "AROATESTROLEID:" + c.RoleSessionName,
	}
	meta := xmlMeta{RequestID: requestID(c.Seq)}
	var doc any
	if c.Action == ActionAssumeRole {
		doc = xmlAssumeRoleResponse{Xmlns: xmlns, Result: xmlAssumeRoleResult{
			Credentials: cr, AssumedRoleUser: user, SourceIdentity: c.SourceIdentity, PackedPolicySize: len(c.Tags),
		}, Meta: meta}
	} else {
		doc = xmlWebIdentityResponse{Xmlns: xmlns, Result: xmlWebIdentityResult{
			Credentials: cr, AssumedRoleUser: user, SubjectFromWebIdentityToken: jwtClaim(c.WebIdentityToken, "sub"),
			Provider: c.ProviderID, Audience: jwtClaim(c.WebIdentityToken, "aud"),
		}, Meta: meta}
	}
	writeXML(w, http.StatusOK, doc)
}

func (s *Server) record(seq int, f func(*Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].Seq == seq {
			f(&s.calls[i])
			return
		}
	}
}

func parseCall(f url.Values) Call {
	c := Call{
		Action:           f.Get("Action"),
		RoleARN:          f.Get("RoleArn"),
		RoleSessionName:  f.Get("RoleSessionName"),
		SourceIdentity:   f.Get("SourceIdentity"),
		ExternalID:       f.Get("ExternalId"),
		Policy:           f.Get("Policy"),
		WebIdentityToken: f.Get("WebIdentityToken"),
		ProviderID:       f.Get("ProviderId"),
		Form:             f,
	}
	if d := f.Get("DurationSeconds"); d != "" {
		c.DurationSeconds, _ = strconv.Atoi(d)
		if c.DurationSeconds <= 0 {
			c.DurationSeconds = -1
		}
	}
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i) + "."
		k, ok := f[p+"Key"]
		if !ok {
			break
		}
		c.Tags = append(c.Tags, Tag{Key: first(k), Value: f.Get(p + "Value")})
	}
	for i := 1; ; i++ {
		k, ok := f["TransitiveTagKeys.member."+strconv.Itoa(i)]
		if !ok {
			break
		}
		c.TransitiveTagKeys = append(c.TransitiveTagKeys, first(k))
	}
	return c
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// validate applies the checks the real service makes before issuing
// credentials, so that a client bug shows up as the same error it would
// get from AWS.
func validate(c Call) *Fault {
	invalid := func(msg string) *Fault {
		return &Fault{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
	}
	if c.Form.Get("Version") != apiVersion {
		return invalid("unsupported Version")
	}
	switch c.Action {
	case ActionAssumeRole:
		if !c.Signed {
			return &Fault{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
		}
	case ActionAssumeRoleWithWebIdentity:
		if c.WebIdentityToken == "" {
			return invalid("WebIdentityToken is required")
		}
		if len(c.Tags) > 0 || c.SourceIdentity != "" || c.ExternalID != "" {
			return invalid("parameter not supported by AssumeRoleWithWebIdentity")
		}
	default:
		return &Fault{Status: http.StatusBadRequest, Code: "InvalidAction", Message: "Could not find operation " + c.Action}
	}
	if !strings.HasPrefix(c.RoleARN, "arn:") || len(c.RoleARN) < 20 || len(c.RoleARN) > 2048 {
		return invalid("RoleArn is missing or malformed")
	}
	if !sessionNameRE.MatchString(c.RoleSessionName) {
		return invalid("RoleSessionName must satisfy [\\w+=,.@-]{2,64}")
	}
	if c.SourceIdentity != "" && (!sessionNameRE.MatchString(c.SourceIdentity) || strings.HasPrefix(strings.ToLower(c.SourceIdentity), "aws:")) {
		return invalid("SourceIdentity must satisfy [\\w+=,.@-]{2,64}")
	}
	if c.DurationSeconds != 0 && (c.DurationSeconds < 900 || c.DurationSeconds > 43200) {
		return invalid("DurationSeconds must be between 900 and 43200")
	}
	if len(c.Tags) > maxTags {
		return invalid("too many session tags")
	}
	if len(c.TransitiveTagKeys) > maxTransitive {
		return invalid("too many transitive tag keys")
	}
	if _, ok := c.Form["ExternalId"]; ok && (len(c.ExternalID) < 2 || len(c.ExternalID) > 1224 || !externalIDRE.MatchString(c.ExternalID)) {
		return invalid("ExternalId must satisfy [\\w+=,.@:/-]{2,1224}")
	}
	if utf8.RuneCountInString(c.Policy) > 2048 {
		return invalid("Policy must have length less than or equal to 2048")
	}
	seen := make(map[string]bool, len(c.Tags))
	for _, t := range c.Tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 || !utf8.ValidString(t.Key) || !tagTextRE.MatchString(t.Key) {
			return invalid("tag key must be 1 to 128 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalid("tag key must not start with aws:")
		}
		if utf8.RuneCountInString(t.Value) > 256 || !utf8.ValidString(t.Value) || !tagTextRE.MatchString(t.Value) {
			return invalid("tag value must be at most 256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]")
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalid("duplicate tag key " + t.Key)
		}
		seen[k] = true
	}
	for _, k := range c.TransitiveTagKeys {
		if !seen[strings.ToLower(k)] {
			return invalid("transitive tag key is not a session tag")
		}
	}
	return nil
}

func accessKeyFor(seq int) string { return fmt.Sprintf("ASIASTSTEST%09d", seq) }

func requestID(seq int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", seq) }

func roleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// jwtClaim reads a string claim from the payload of a JWT without verifying
// it; the server is a test double, not a verifier.
func jwtClaim(tok, claim string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	switch v := m[claim].(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	}
	return ""
}

func writeFault(w http.ResponseWriter, f *Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, status, xmlErrorResponse{
		Xmlns:     xmlns,
		Error:     xmlError{Type: typ, Code: f.Code, Message: f.Message},
		RequestID: requestID(0),
	})
}

func writeXML(w http.ResponseWriter, status int, doc any) {
	b, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, "ststest: cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID(0))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type xmlMeta struct {
	RequestID string `xml:"RequestId"`
}

type xmlAssumeRoleResult struct {
	SourceIdentity   string         `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  xmlRoleUser    `xml:"AssumedRoleUser"`
	Credentials      xmlCredentials `xml:"Credentials"`
	PackedPolicySize int            `xml:"PackedPolicySize"`
}

type xmlAssumeRoleResponse struct {
	XMLName xml.Name            `xml:"AssumeRoleResponse"`
	Xmlns   string              `xml:"xmlns,attr"`
	Result  xmlAssumeRoleResult `xml:"AssumeRoleResult"`
	Meta    xmlMeta             `xml:"ResponseMetadata"`
}

type xmlWebIdentityResult struct {
	SubjectFromWebIdentityToken string         `xml:"SubjectFromWebIdentityToken,omitempty"`
	Audience                    string         `xml:"Audience,omitempty"`
	AssumedRoleUser             xmlRoleUser    `xml:"AssumedRoleUser"`
	Credentials                 xmlCredentials `xml:"Credentials"`
	Provider                    string         `xml:"Provider,omitempty"`
}

type xmlWebIdentityResponse struct {
	XMLName xml.Name             `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns   string               `xml:"xmlns,attr"`
	Result  xmlWebIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	Meta    xmlMeta              `xml:"ResponseMetadata"`
}

type xmlError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}
