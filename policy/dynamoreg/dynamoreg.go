package dynamoreg

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

// Attribute names of the single-table layout; see the package
// documentation.
const (
	AttrPK       = "PK"
	AttrSK       = "SK"
	AttrType     = "Type"
	AttrTenantID = "TenantID"
	AttrPolicyID = "PolicyID"
	AttrDocument = "Document"
)

// Key prefixes and sort keys of the three item kinds.
const (
	userPrefix  = "USER#"
	tenPrefix   = "TENANT#"
	polIDPrefix = "POLICYID#"
	userSK      = "TENANT"
	policySK    = "POLICY"
	polIDSK     = "CLAIM"
)

// API is the part of *dynamodb.Client that [Registry] uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Config configures a [Registry].
type Config struct {
	// Table is the table name. Required.
	Table string
	// ConsistentRead makes lookups strongly consistent, so that a policy
	// change is seen by the next lookup (at twice the read cost).
	ConsistentRead bool
}

// Registry is a [policy.Registry] stored in one DynamoDB table, in the
// single-table layout described in the package documentation. Every lookup
// is one GetItem; Policy parses and compiles the stored document on each
// call, so wrap the registry in a [policy.Cache] on the request path. It is safe
// for concurrent use.
type Registry struct {
	client API
	cfg    Config
}

var _ policy.Registry = (*Registry)(nil)

// New returns a registry that reads table cfg.Table through
// client.
func New(client API, cfg Config) (*Registry, error) {
	if client == nil {
		return nil, errors.New("dynamoreg: nil client")
	}
	if cfg.Table == "" {
		return nil, errors.New("dynamoreg: table name required")
	}
	return &Registry{client: client, cfg: cfg}, nil
}

// TableInput returns the CreateTable input for the layout the
// registry expects: string partition key "PK", string sort key "SK",
// on-demand billing. Use it in tests and bootstrap code, or as the
// reference for infrastructure-as-code.
func TableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func stringAttr(item map[string]types.AttributeValue, name string) (string, bool) {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

// TenantOf implements [policy.Registry]. An id that [policy.ValidateUserID] rejects is
// never sent to DynamoDB; the error wraps both [policy.ErrUnknownUser] and
// [policy.ErrInvalidUserID].
func (r *Registry) TenantOf(ctx context.Context, userID string) (string, error) {
	if err := policy.ValidateUserID(userID); err != nil {
		return "", fmt.Errorf("%w: %w", policy.ErrUnknownUser, err)
	}
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.cfg.Table),
		Key:            key(userPrefix+userID, userSK),
		ConsistentRead: aws.Bool(r.cfg.ConsistentRead),
	})
	if err != nil {
		return "", fmt.Errorf("dynamoreg: get user: %w", err)
	}
	if len(out.Item) == 0 {
		return "", policy.ErrUnknownUser
	}
	tid, ok := stringAttr(out.Item, AttrTenantID)
	if !ok {
		return "", fmt.Errorf("dynamoreg: user item has no string %s attribute", AttrTenantID)
	}
	if err := tenantctx.ValidateID(tid); err != nil {
		return "", fmt.Errorf("dynamoreg: user item: %w", err)
	}
	return tid, nil
}

// Policy implements [policy.Registry]. An invalid tenant id is never sent to
// DynamoDB; the error wraps both [policy.ErrNoPolicy] and
// [tenantctx.ErrInvalidTenantID]. A stored document that does not validate,
// or that names another tenant or policy id than its item, is an error
// wrapping [policy.ErrInvalidPolicy]: it is never used.
func (r *Registry) Policy(ctx context.Context, tenantID string) (*policy.Policy, error) {
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return nil, fmt.Errorf("%w: %w", policy.ErrNoPolicy, err)
	}
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.cfg.Table),
		Key:            key(tenPrefix+tenantID, policySK),
		ConsistentRead: aws.Bool(r.cfg.ConsistentRead),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamoreg: get policy: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, policy.ErrNoPolicy
	}
	data, ok := stringAttr(out.Item, AttrDocument)
	if !ok {
		return nil, fmt.Errorf("dynamoreg: tenant item has no string %s attribute: %w", AttrDocument, policy.ErrInvalidPolicy)
	}
	doc, err := policy.Parse([]byte(data))
	if err != nil {
		var ve *policy.ValidationError
		if errors.As(err, &ve) {
			ve.Source = "stored for tenant " + tenantID
		}
		return nil, err
	}
	if doc.TenantID != tenantID {
		return nil, fmt.Errorf("dynamoreg: item of tenant %s holds a document for another tenant: %w", strconv.Quote(tenantID), policy.ErrInvalidPolicy)
	}
	if id, _ := stringAttr(out.Item, AttrPolicyID); id != doc.PolicyID {
		return nil, fmt.Errorf("dynamoreg: item of tenant %s: %s attribute does not match the document's policyId: %w", strconv.Quote(tenantID), AttrPolicyID, policy.ErrInvalidPolicy)
	}
	return policy.Compile(doc)
}

// PutUser maps userID to tenantID, replacing any previous mapping.
func (r *Registry) PutUser(ctx context.Context, userID, tenantID string) error {
	if err := policy.ValidateUserID(userID); err != nil {
		return err
	}
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return fmt.Errorf("dynamoreg: %w", err)
	}
	item := key(userPrefix+userID, userSK)
	item[AttrType] = &types.AttributeValueMemberS{Value: "user"}
	item[AttrTenantID] = &types.AttributeValueMemberS{Value: tenantID}
	if _, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.cfg.Table), Item: item}); err != nil {
		return fmt.Errorf("dynamoreg: put user: %w", err)
	}
	return nil
}

// DeleteUser removes userID's mapping. Deleting an unknown user is not an
// error.
func (r *Registry) DeleteUser(ctx context.Context, userID string) error {
	if err := policy.ValidateUserID(userID); err != nil {
		return err
	}
	_, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(r.cfg.Table), Key: key(userPrefix+userID, userSK)})
	if err != nil {
		return fmt.Errorf("dynamoreg: delete user: %w", err)
	}
	return nil
}

// PutPolicy validates the policy document data and stores it, unchanged, as
// the policy of its tenant, replacing that tenant's previous policy. It
// returns the compiled policy.
//
// Policy ids are unique across tenants: PutPolicy first claims the id with a
// conditional write of a claim item, and fails with an error wrapping
// [policy.ErrDuplicatePolicy] when another tenant holds it. When a tenant's policy
// id changes, the old claim is released afterwards; should that step fail,
// the old id merely stays reserved for the tenant.
func (r *Registry) PutPolicy(ctx context.Context, data []byte) (*policy.Policy, error) {
	doc, err := policy.Parse(data)
	if err != nil {
		return nil, err
	}
	pol, err := policy.Compile(doc)
	if err != nil {
		return nil, err
	}
	table := aws.String(r.cfg.Table)
	tenantS := &types.AttributeValueMemberS{Value: doc.TenantID}

	old, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: table, Key: key(tenPrefix+doc.TenantID, policySK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamoreg: get policy: %w", err)
	}
	oldID, _ := stringAttr(old.Item, AttrPolicyID)

	claim := key(polIDPrefix+doc.PolicyID, polIDSK)
	claim[AttrType] = &types.AttributeValueMemberS{Value: "policy-id-claim"}
	claim[AttrTenantID] = tenantS
	_, err = r.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 table,
		Item:                      claim,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #tenant = :tenant"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#tenant": AttrTenantID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tenant": tenantS},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil, &policy.DuplicateError{Path: "$.policyId", Field: "policyId", Value: doc.PolicyID, First: "another tenant"}
	}
	if err != nil {
		return nil, fmt.Errorf("dynamoreg: claim policy id: %w", err)
	}

	item := key(tenPrefix+doc.TenantID, policySK)
	item[AttrType] = &types.AttributeValueMemberS{Value: "policy"}
	item[AttrTenantID] = tenantS
	item[AttrPolicyID] = &types.AttributeValueMemberS{Value: doc.PolicyID}
	item[AttrDocument] = &types.AttributeValueMemberS{Value: string(data)}
	if _, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item}); err != nil {
		return nil, fmt.Errorf("dynamoreg: put policy: %w", err)
	}

	if oldID != "" && oldID != doc.PolicyID && policy.ValidatePolicyID(oldID) == nil {
		if err := r.releaseClaim(ctx, oldID, doc.TenantID); err != nil {
			return pol, err
		}
	}
	return pol, nil
}

// DeletePolicy removes the policy of tenantID (its requests are then denied)
// and releases its policy id. Deleting a missing policy is not an error.
func (r *Registry) DeletePolicy(ctx context.Context, tenantID string) error {
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return fmt.Errorf("dynamoreg: %w", err)
	}
	out, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    aws.String(r.cfg.Table),
		Key:          key(tenPrefix+tenantID, policySK),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return fmt.Errorf("dynamoreg: delete policy: %w", err)
	}
	if id, ok := stringAttr(out.Attributes, AttrPolicyID); ok && policy.ValidatePolicyID(id) == nil {
		return r.releaseClaim(ctx, id, tenantID)
	}
	return nil
}

func (r *Registry) releaseClaim(ctx context.Context, policyID, tenantID string) error {
	_, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(r.cfg.Table),
		Key:                       key(polIDPrefix+policyID, polIDSK),
		ConditionExpression:       aws.String("#tenant = :tenant"),
		ExpressionAttributeNames:  map[string]string{"#tenant": AttrTenantID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tenant": &types.AttributeValueMemberS{Value: tenantID}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("dynamoreg: release policy id %s: %w", strconv.Quote(policyID), err)
	}
	return nil
}
