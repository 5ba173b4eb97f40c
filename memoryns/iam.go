package memoryns

import (
	"errors"
	"fmt"
)

// IAM condition keys of Amazon Bedrock AgentCore Memory that the patterns
// of this file are meant for.
const (
	// ConditionKeyNamespace is the namespace of a memory-record request
	// (for example RetrieveMemoryRecords, ListMemoryRecords,
	// BatchCreateMemoryRecords).
	ConditionKeyNamespace = "bedrock-agentcore:namespace"
	// ConditionKeyActorID is the actorId of a short-term memory request
	// (for example CreateEvent, ListEvents).
	ConditionKeyActorID = "bedrock-agentcore:actorId"
)

// DefaultTenantTag is the session tag that carries the tenant id, as set by
// an AssumeRole with session tags (see package stsx).
const DefaultTenantTag = "TenantID"

// ErrNoTenantSegment reports that a scheme's namespaces cannot be confined
// to one tenant by a namespace condition: silo-mode namespaces carry no
// tenant (isolate the dedicated store by its resource ARN instead), and the
// AgentCore layout has no single literal tenant prefix.
var ErrNoTenantSegment = errors.New("memoryns: namespaces of this scheme have no tenant prefix")

// Condition is an IAM policy Condition block, for example
// {"StringLike": {"bedrock-agentcore:namespace": ["/tenant/${aws:PrincipalTag/TenantID}/*"]}}.
// It marshals to the JSON that IAM expects.
type Condition map[string]map[string][]string

// TenantPrefix returns the literal prefix of every namespace tenantID owns
// in the hierarchical pool layout, for example "/tenant/t1/", for stores
// that filter by prefix (a DynamoDB begins_with, an S3 prefix). It ends
// with the separator '/', so the prefix of "t1" never matches a namespace
// of "t12". It fails with [ErrNoTenantSegment] in silo mode and in the
// AgentCore layout, whose user namespaces begin with the strategy.
func (s *Scheme) TenantPrefix(tenantID string) (string, error) {
	if s.silo || s.layout != LayoutHierarchical {
		return "", fmt.Errorf("%w (%v %v)", ErrNoTenantSegment, s.layout, s.Mode())
	}
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return "", err
	}
	return "/" + s.kw[kwTenant] + "/" + tenantID + "/", nil
}

// NamespacePatterns returns the IAM StringLike values that match every
// namespace tenantID owns (its tenant, user and session namespaces) and no
// namespace of another tenant:
//
//	hierarchical  /tenant/t1/*
//	AgentCore     /tenant/t1/*  and  /strategies/*/actors/t1:*
//
// Every literal part that precedes a '*' ends with a separator ('/' or the
// actor separator ':'). Global and strategy namespaces are not included:
// grant their read access in a separate statement. It fails with
// [ErrNoTenantSegment] in silo mode.
//
// IAM's '*' also matches '/', so in the AgentCore layout these patterns
// alone are NOT sufficient: "/strategies/*/actors/t1:*" also matches
// "/strategies/s/actors/t2:u/actors/t1:x/", a namespace inside tenant t2's
// actor prefix that t2's prefix reads return. Always pair them with
// [Scheme.NamespaceExcludePatterns] under StringNotLike, as
// [Scheme.NamespaceCondition] does.
func (s *Scheme) NamespacePatterns(tenantID string) ([]string, error) {
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return nil, err
	}
	return s.patterns(tenantID)
}

// NamespacePatternsForTag is [Scheme.NamespacePatterns] with the tenant id
// replaced by the IAM policy variable ${aws:PrincipalTag/<tagKey>}, for one
// ABAC policy shared by all tenants; an empty tagKey means
// [DefaultTenantTag]. A principal without the tag matches nothing.
func (s *Scheme) NamespacePatternsForTag(tagKey string) ([]string, error) {
	v, err := PrincipalTagVariable(tagKey)
	if err != nil {
		return nil, err
	}
	return s.patterns(v)
}

// NamespaceExcludePatterns returns the IAM StringNotLike values that must
// accompany [Scheme.NamespacePatterns] (under the same condition key, in
// the same statement) so that a '*' of an allow pattern cannot span
// segments into another tenant's namespaces. It is empty for the
// hierarchical layout, whose single pattern starts with the literal tenant
// prefix. In the AgentCore layout it is "/strategies/*/*/actors/t1:*": it
// refuses every string in which the "/actors/t1:" the allow pattern
// needs does not directly follow a single strategy segment. No namespace
// built by the scheme matches it, since ids contain neither '/' nor ':'.
// It fails with [ErrNoTenantSegment] in silo mode.
func (s *Scheme) NamespaceExcludePatterns(tenantID string) ([]string, error) {
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return nil, err
	}
	return s.excludePatterns(tenantID)
}

// NamespaceExcludePatternsForTag is [Scheme.NamespaceExcludePatterns] with
// the tenant id replaced by ${aws:PrincipalTag/<tagKey>}; an empty tagKey
// means [DefaultTenantTag].
func (s *Scheme) NamespaceExcludePatternsForTag(tagKey string) ([]string, error) {
	v, err := PrincipalTagVariable(tagKey)
	if err != nil {
		return nil, err
	}
	return s.excludePatterns(v)
}

func (s *Scheme) excludePatterns(tenant string) ([]string, error) {
	if s.silo {
		return nil, fmt.Errorf("%w (%v %v)", ErrNoTenantSegment, s.layout, s.Mode())
	}
	if s.layout != LayoutAgentCore {
		return nil, nil
	}
	return []string{"/" + s.kw[kwStrategy] + "/*/*/" + s.kw[kwUser] + "/" + tenant + string(ActorSeparator) + "*"}, nil
}

// NamespaceCondition returns the Condition block
// {"StringLike": {"bedrock-agentcore:namespace": NamespacePatternsForTag(tagKey)}},
// plus, in the AgentCore layout,
// {"StringNotLike": {"bedrock-agentcore:namespace": NamespaceExcludePatternsForTag(tagKey)}}
// (conditions under different operators are ANDed).
func (s *Scheme) NamespaceCondition(tagKey string) (Condition, error) {
	p, err := s.NamespacePatternsForTag(tagKey)
	if err != nil {
		return nil, err
	}
	c := Condition{"StringLike": {ConditionKeyNamespace: p}}
	x, err := s.NamespaceExcludePatternsForTag(tagKey)
	if err != nil {
		return nil, err
	}
	if len(x) > 0 {
		c["StringNotLike"] = map[string][]string{ConditionKeyNamespace: x}
	}
	return c, nil
}

func (s *Scheme) patterns(tenant string) ([]string, error) {
	if s.silo {
		return nil, fmt.Errorf("%w (%v %v)", ErrNoTenantSegment, s.layout, s.Mode())
	}
	p := []string{"/" + s.kw[kwTenant] + "/" + tenant + "/*"}
	if s.layout == LayoutAgentCore {
		p = append(p, "/"+s.kw[kwStrategy]+"/*/"+s.kw[kwUser]+"/"+tenant+string(ActorSeparator)+"*")
	}
	return p, nil
}

// ActorIDPattern returns the IAM StringLike value for
// [ConditionKeyActorID] that matches the composite actor ids of tenantID's
// users, "t1:*". It fails with [ErrNoTenantSegment] in silo mode, where
// actor ids are plain user ids.
func (s *Scheme) ActorIDPattern(tenantID string) (string, error) {
	if err := validateID(LevelTenant, tenantID, MaxTenantIDLen); err != nil {
		return "", err
	}
	if s.silo {
		return "", fmt.Errorf("%w (%v %v)", ErrNoTenantSegment, s.layout, s.Mode())
	}
	return tenantID + string(ActorSeparator) + "*", nil
}

// ActorIDPatternForTag is [Scheme.ActorIDPattern] with the tenant id
// replaced by ${aws:PrincipalTag/<tagKey>}: "${aws:PrincipalTag/TenantID}:*"
// for an empty tagKey.
func (s *Scheme) ActorIDPatternForTag(tagKey string) (string, error) {
	v, err := PrincipalTagVariable(tagKey)
	if err != nil {
		return "", err
	}
	if s.silo {
		return "", fmt.Errorf("%w (%v %v)", ErrNoTenantSegment, s.layout, s.Mode())
	}
	return v + string(ActorSeparator) + "*", nil
}

// PrincipalTagVariable returns the IAM policy variable
// "${aws:PrincipalTag/<tagKey>}"; an empty tagKey means [DefaultTenantTag].
// The key must be 1 to 128 characters of letters, digits and "_.:/=+-@"
// (the AWS tag key charset without white space).
func PrincipalTagVariable(tagKey string) (string, error) {
	if tagKey == "" {
		tagKey = DefaultTenantTag
	}
	if len(tagKey) > 128 {
		return "", fmt.Errorf("%w: tag key longer than 128 bytes", ErrInvalidConfig)
	}
	for i := 0; i < len(tagKey); i++ {
		c := tagKey[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		switch c {
		case '_', '.', ':', '/', '=', '+', '-', '@':
			continue
		}
		return "", fmt.Errorf("%w: tag key byte %d not allowed", ErrInvalidConfig, i)
	}
	return "${aws:PrincipalTag/" + tagKey + "}", nil
}
