package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tenantkit/tenantkit/tenantctx"
)

// Attribute names and key prefixes of the DynamoDB single-table layout; see
// the package documentation.
const (
	DynamoPK          = "PK"
	DynamoSK          = "SK"
	DynamoType        = "Type"
	DynamoTenantID    = "TenantID"
	DynamoPolicyID    = "PolicyID"
	DynamoDocument    = "Document"
	dynamoUserPrefix  = "USER#"
	dynamoTenPrefix   = "TENANT#"
	dynamoPolIDPrefix = "POLICYID#"
	dynamoUserSK      = "TENANT"
	dynamoPolicySK    = "POLICY"
	dynamoPolIDSK     = "CLAIM"
)

// DynamoDBAPI is the part of *dynamodb.Client that [DynamoDBRegistry] uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DynamoDBAPI = (*dynamodb.Client)(nil)

// DynamoDBConfig configures a [DynamoDBRegistry].
type DynamoDBConfig struct {
	// Table is the table name. Required.
	Table string
	// ConsistentRead makes lookups strongly consistent, so that a policy
	// change is seen by the next lookup (at twice the read cost).
	ConsistentRead bool
}

// DynamoDBRegistry is a [Registry] stored in one DynamoDB table, in the
// single-table layout described in the package documentation. Every lookup
// is one GetItem; Policy parses and compiles the stored document on each
// call, so wrap the registry in a [Cache] on the request path. It is safe
// for concurrent use.
type DynamoDBRegistry struct {
	client DynamoDBAPI
	cfg    DynamoDBConfig
}

var _ Registry = (*DynamoDBRegistry)(nil)

// NewDynamoDBRegistry returns a registry that reads table cfg.Table through
// client.
func NewDynamoDBRegistry(client DynamoDBAPI, cfg DynamoDBConfig) (*DynamoDBRegistry, error) {
	if client == nil {
		return nil, errors.New("policy: dynamodb: nil client")
	}
	if cfg.Table == "" {
		return nil, errors.New("policy: dynamodb: table name required")
	}
	return &DynamoDBRegistry{client: client, cfg: cfg}, nil
}

// DynamoDBTableInput returns the CreateTable input for the layout the
// registry expects: string partition key "PK", string sort key "SK",
// on-demand billing. Use it in tests and bootstrap code, or as the
// reference for infrastructure-as-code.
func DynamoDBTableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(DynamoPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(DynamoSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(DynamoPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(DynamoSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		DynamoPK: &types.AttributeValueMemberS{Value: pk},
		DynamoSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func stringAttr(item map[string]types.AttributeValue, name string) (string, bool) {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

// TenantOf implements [Registry]. An id that [ValidateUserID] rejects is
// never sent to DynamoDB; the error wraps both [ErrUnknownUser] and
// [ErrInvalidUserID].
func (r *DynamoDBRegistry) TenantOf(ctx context.Context, userID string) (string, error) {
	if err := ValidateUserID(userID); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnknownUser, err)
	}
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.cfg.Table),
		Key:            key(dynamoUserPrefix+userID, dynamoUserSK),
		ConsistentRead: aws.Bool(r.cfg.ConsistentRead),
	})
	if err != nil {
		return "", fmt.Errorf("policy: dynamodb: get user: %w", err)
	}
	if len(out.Item) == 0 {
		return "", ErrUnknownUser
	}
	tid, ok := stringAttr(out.Item, DynamoTenantID)
	if !ok {
		return "", fmt.Errorf("policy: dynamodb: user item has no string %s attribute", DynamoTenantID)
	}
	if err := tenantctx.ValidateID(tid); err != nil {
		return "", fmt.Errorf("policy: dynamodb: user item: %w", err)
	}
	return tid, nil
}

// Policy implements [Registry]. An invalid tenant id is never sent to
// DynamoDB; the error wraps both [ErrNoPolicy] and
// [tenantctx.ErrInvalidTenantID]. A stored document that does not validate,
// or that names another tenant or policy id than its item, is an error
// wrapping [ErrInvalidPolicy]: it is never used.
func (r *DynamoDBRegistry) Policy(ctx context.Context, tenantID string) (*Policy, error) {
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPolicy, err)
	}
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.cfg.Table),
		Key:            key(dynamoTenPrefix+tenantID, dynamoPolicySK),
		ConsistentRead: aws.Bool(r.cfg.ConsistentRead),
	})
	if err != nil {
		return nil, fmt.Errorf("policy: dynamodb: get policy: %w", err)
	}
	if len(out.Item) == 0 {
		return nil, ErrNoPolicy
	}
	data, ok := stringAttr(out.Item, DynamoDocument)
	if !ok {
		return nil, fmt.Errorf("policy: dynamodb: tenant item has no string %s attribute: %w", DynamoDocument, ErrInvalidPolicy)
	}
	doc, err := parseSource("in DynamoDB", []byte(data))
	if err != nil {
		return nil, err
	}
	if doc.TenantID != tenantID {
		return nil, fmt.Errorf("policy: dynamodb: item of tenant %s holds a document for another tenant: %w", quote(tenantID), ErrInvalidPolicy)
	}
	if id, _ := stringAttr(out.Item, DynamoPolicyID); id != doc.PolicyID {
		return nil, fmt.Errorf("policy: dynamodb: item of tenant %s: %s attribute does not match the document's policyId: %w", quote(tenantID), DynamoPolicyID, ErrInvalidPolicy)
	}
	return Compile(doc)
}

// PutUser maps userID to tenantID, replacing any previous mapping.
func (r *DynamoDBRegistry) PutUser(ctx context.Context, userID, tenantID string) error {
	if err := ValidateUserID(userID); err != nil {
		return err
	}
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return fmt.Errorf("policy: dynamodb: %w", err)
	}
	item := key(dynamoUserPrefix+userID, dynamoUserSK)
	item[DynamoType] = &types.AttributeValueMemberS{Value: "user"}
	item[DynamoTenantID] = &types.AttributeValueMemberS{Value: tenantID}
	if _, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.cfg.Table), Item: item}); err != nil {
		return fmt.Errorf("policy: dynamodb: put user: %w", err)
	}
	return nil
}

// DeleteUser removes userID's mapping. Deleting an unknown user is not an
// error.
func (r *DynamoDBRegistry) DeleteUser(ctx context.Context, userID string) error {
	if err := ValidateUserID(userID); err != nil {
		return err
	}
	_, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(r.cfg.Table), Key: key(dynamoUserPrefix+userID, dynamoUserSK)})
	if err != nil {
		return fmt.Errorf("policy: dynamodb: delete user: %w", err)
	}
	return nil
}

// PutPolicy validates the policy document data and stores it, unchanged, as
// the policy of its tenant, replacing that tenant's previous policy. It
// returns the compiled policy.
//
// Policy ids are unique across tenants: PutPolicy first claims the id with a
// conditional write of a claim item, and fails with an error wrapping
// [ErrDuplicatePolicy] when another tenant holds it. When a tenant's policy
// id changes, the old claim is released afterwards; should that step fail,
// the old id merely stays reserved for the tenant.
func (r *DynamoDBRegistry) PutPolicy(ctx context.Context, data []byte) (*Policy, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	pol, err := Compile(doc)
	if err != nil {
		return nil, err
	}
	table := aws.String(r.cfg.Table)
	tenantS := &types.AttributeValueMemberS{Value: doc.TenantID}

	old, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: table, Key: key(dynamoTenPrefix+doc.TenantID, dynamoPolicySK), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("policy: dynamodb: get policy: %w", err)
	}
	oldID, _ := stringAttr(old.Item, DynamoPolicyID)

	claim := key(dynamoPolIDPrefix+doc.PolicyID, dynamoPolIDSK)
	claim[DynamoType] = &types.AttributeValueMemberS{Value: "policy-id-claim"}
	claim[DynamoTenantID] = tenantS
	_, err = r.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 table,
		Item:                      claim,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #tenant = :tenant"),
		ExpressionAttributeNames:  map[string]string{"#pk": DynamoPK, "#tenant": DynamoTenantID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tenant": tenantS},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil, &DuplicateError{Path: "DynamoDB", Field: "policyId", Value: doc.PolicyID, First: "another tenant"}
	}
	if err != nil {
		return nil, fmt.Errorf("policy: dynamodb: claim policy id: %w", err)
	}

	item := key(dynamoTenPrefix+doc.TenantID, dynamoPolicySK)
	item[DynamoType] = &types.AttributeValueMemberS{Value: "policy"}
	item[DynamoTenantID] = tenantS
	item[DynamoPolicyID] = &types.AttributeValueMemberS{Value: doc.PolicyID}
	item[DynamoDocument] = &types.AttributeValueMemberS{Value: string(data)}
	if _, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item}); err != nil {
		return nil, fmt.Errorf("policy: dynamodb: put policy: %w", err)
	}

	if oldID != "" && oldID != doc.PolicyID && ValidatePolicyID(oldID) == nil {
		if err := r.releaseClaim(ctx, oldID, doc.TenantID); err != nil {
			return pol, err
		}
	}
	return pol, nil
}

// DeletePolicy removes the policy of tenantID (its requests are then denied)
// and releases its policy id. Deleting a missing policy is not an error.
func (r *DynamoDBRegistry) DeletePolicy(ctx context.Context, tenantID string) error {
	if err := tenantctx.ValidateID(tenantID); err != nil {
		return fmt.Errorf("policy: dynamodb: %w", err)
	}
	out, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    aws.String(r.cfg.Table),
		Key:          key(dynamoTenPrefix+tenantID, dynamoPolicySK),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return fmt.Errorf("policy: dynamodb: delete policy: %w", err)
	}
	if id, ok := stringAttr(out.Attributes, DynamoPolicyID); ok && ValidatePolicyID(id) == nil {
		return r.releaseClaim(ctx, id, tenantID)
	}
	return nil
}

func (r *DynamoDBRegistry) releaseClaim(ctx context.Context, policyID, tenantID string) error {
	_, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(r.cfg.Table),
		Key:                       key(dynamoPolIDPrefix+policyID, dynamoPolIDSK),
		ConditionExpression:       aws.String("#tenant = :tenant"),
		ExpressionAttributeNames:  map[string]string{"#tenant": DynamoTenantID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":tenant": &types.AttributeValueMemberS{Value: tenantID}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("policy: dynamodb: release policy id %s: %w", quote(policyID), err)
	}
	return nil
}
