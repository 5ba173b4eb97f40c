package dynamoreg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/policy"
	"github.com/tenantkit/tenantkit/tenantctx"
)

var _ policy.Registry = (*Registry)(nil)

// dynalitePath finds the dynalite executable: $TENANTKIT_DYNALITE, else the
// place .ci/run installs it to.
func dynalitePath() (string, error) {
	if p := os.Getenv("TENANTKIT_DYNALITE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TENANTKIT_DYNALITE=%s: %w", p, err)
		}
		return p, nil
	}
	dir := os.Getenv("TENANTKIT_TOOLS_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache", "tenantkit-ci")
	}
	p := filepath.Join(dir, "dynalite", "node_modules", ".bin", "dynalite")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("dynalite not found at %s (set TENANTKIT_DYNALITE or run: npm install --prefix %s dynalite@4.0.0)", p, filepath.Join(dir, "dynalite"))
	}
	return p, nil
}

// startDynalite starts a dynalite server on a free loopback port and
// returns a DynamoDB client for it. The server is killed when the test
// ends. Without dynalite or node the test is skipped, except under CI=true,
// where it fails.
func startDynalite(t *testing.T) *dynamodb.Client {
	t.Helper()
	unavailable := func(err error) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("dynalite is required under CI=true: %v", err)
		}
		t.Skipf("skipping DynamoDB registry test against dynalite: %v", err)
	}
	bin, err := dynalitePath()
	if err != nil {
		unavailable(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(fmt.Errorf("node not found: %w", err))
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--createTableMs", "0", "--deleteTableMs", "0")
		cmd.Stderr = &syncWriter{w: &stderr}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start dynalite: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := waitListening(addr, exited, 15*time.Second); err != nil {
			stop()
			lastErr = fmt.Errorf("%w; stderr: %s", err, stderr.String())
			continue
		}
		t.Cleanup(stop)
		return dynamodb.New(dynamodb.Options{
			Region:           "us-east-1",
			BaseEndpoint:     aws.String("http://" + addr),
			Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			RetryMaxAttempts: 1,
		})
	}
	t.Fatalf("dynalite did not start: %v", lastErr)
	return nil
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("dynalite exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("dynalite not listening on %s after %v", addr, timeout)
}

func createTable(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateTable(ctx, TableInput(table))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		return err == nil && out.Table.TableStatus == types.TableStatusActive
	}, 10*time.Second, 20*time.Millisecond)
}

func TestRegistry(t *testing.T) {
	client := startDynalite(t)
	const table = "tenantkit-policies"
	createTable(t, client, table)
	ctx := context.Background()
	reg, err := New(client, Config{Table: table, ConsistentRead: true})
	require.NoError(t, err)

	t.Run("users", func(t *testing.T) {
		require.NoError(t, reg.PutUser(ctx, "alice", "Tenant-A"))
		require.NoError(t, reg.PutUser(ctx, "auth0|42", "Tenant-B"))
		tid, err := reg.TenantOf(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "Tenant-A", tid)
		tid, err = reg.TenantOf(ctx, "auth0|42")
		require.NoError(t, err)
		assert.Equal(t, "Tenant-B", tid)
		_, err = reg.TenantOf(ctx, "mallory")
		require.ErrorIs(t, err, policy.ErrUnknownUser)

		require.NoError(t, reg.PutUser(ctx, "alice", "Tenant-B"))
		tid, err = reg.TenantOf(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "Tenant-B", tid)
		require.NoError(t, reg.DeleteUser(ctx, "alice"))
		_, err = reg.TenantOf(ctx, "alice")
		require.ErrorIs(t, err, policy.ErrUnknownUser)

		require.ErrorIs(t, reg.PutUser(ctx, "a\nb", "Tenant-A"), policy.ErrInvalidUserID)
		require.ErrorIs(t, reg.PutUser(ctx, "carol", "Tenant#A"), tenantctx.ErrInvalidTenantID)
		_, err = reg.TenantOf(ctx, "a b")
		require.ErrorIs(t, err, policy.ErrUnknownUser)
		require.ErrorIs(t, err, policy.ErrInvalidUserID)
	})

	t.Run("policies", func(t *testing.T) {
		p, err := reg.PutPolicy(ctx, []byte(issueDoc))
		require.NoError(t, err)
		assert.Equal(t, "POL-TENANT-A", p.ID())

		got, err := reg.Policy(ctx, "Tenant-A")
		require.NoError(t, err)
		assert.Equal(t, "POL-TENANT-A", got.ID())
		d, err := policy.Decide(ctx, reg, tenant("Tenant-A"), policy.ResourceTypeTool, "agent:tool:order-lookup")
		require.NoError(t, err)
		assert.True(t, d.Allowed)
		d, err = policy.Decide(ctx, reg, tenant("Tenant-A"), policy.ResourceTypeTool, "agent:tool:admin-refund")
		require.NoError(t, err)
		assert.False(t, d.Allowed)
		assert.Equal(t, "Insufficient privileges", d.Reason)

		// The document is stored exactly as given.
		raw, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("TENANT#Tenant-A", "POLICY")})
		require.NoError(t, err)
		assert.Equal(t, issueDoc, raw.Item[AttrDocument].(*types.AttributeValueMemberS).Value)

		_, err = reg.Policy(ctx, "Tenant-B")
		require.ErrorIs(t, err, policy.ErrNoPolicy)
		d, err = policy.Decide(ctx, reg, tenant("Tenant-B"), policy.ResourceTypeTool, "agent:tool:order-lookup")
		require.ErrorIs(t, err, policy.ErrNoPolicy)
		assert.False(t, d.Allowed)

		// Invalid documents are never stored.
		_, err = reg.PutPolicy(ctx, []byte(`{"policyId":"P","tenantId":"Tenant-B","rules":[{"effect":"allow"}]}`))
		require.ErrorIs(t, err, policy.ErrInvalidPolicy)
		_, err = reg.Policy(ctx, "Tenant-B")
		require.ErrorIs(t, err, policy.ErrNoPolicy)
	})

	t.Run("policy ids are unique across tenants", func(t *testing.T) {
		_, err := reg.PutPolicy(ctx, []byte(policyJSON("POL-TENANT-A", "Tenant-B", "*")))
		require.ErrorIs(t, err, policy.ErrDuplicatePolicy)
		_, err = reg.Policy(ctx, "Tenant-B")
		require.ErrorIs(t, err, policy.ErrNoPolicy)

		// Tenant-A moves to a new id; its old id becomes free.
		_, err = reg.PutPolicy(ctx, []byte(policyJSON("POL-TENANT-A-v2", "Tenant-A", "agent:tool:v2")))
		require.NoError(t, err)
		_, err = reg.PutPolicy(ctx, []byte(policyJSON("POL-TENANT-A", "Tenant-B", "agent:tool:b")))
		require.NoError(t, err)
		// Re-putting the same id for the same tenant is an update.
		_, err = reg.PutPolicy(ctx, []byte(policyJSON("POL-TENANT-A", "Tenant-B", "agent:tool:b2")))
		require.NoError(t, err)
		d, err := policy.Decide(ctx, reg, tenant("Tenant-B"), policy.ResourceTypeTool, "agent:tool:b2")
		require.NoError(t, err)
		assert.True(t, d.Allowed)
		d, err = policy.Decide(ctx, reg, tenant("Tenant-A"), policy.ResourceTypeTool, "agent:tool:v2")
		require.NoError(t, err)
		assert.True(t, d.Allowed)

		require.NoError(t, reg.DeletePolicy(ctx, "Tenant-B"))
		_, err = reg.Policy(ctx, "Tenant-B")
		require.ErrorIs(t, err, policy.ErrNoPolicy)
		require.NoError(t, reg.DeletePolicy(ctx, "Tenant-B"), "deleting twice is fine")
		_, err = reg.PutPolicy(ctx, []byte(policyJSON("POL-TENANT-A", "Tenant-C", "x")))
		require.NoError(t, err, "the deleted policy's id is free")
	})

	t.Run("tampered items are never used", func(t *testing.T) {
		put := func(tenantID, policyID, doc string) {
			item := key("TENANT#"+tenantID, "POLICY")
			item[AttrPolicyID] = &types.AttributeValueMemberS{Value: policyID}
			item[AttrDocument] = &types.AttributeValueMemberS{Value: doc}
			_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
			require.NoError(t, err)
		}
		// A document for Tenant-X filed under Tenant-Y.
		put("Tenant-Y", "POL-X", policyJSON("POL-X", "Tenant-X", "*"))
		_, err := reg.Policy(ctx, "Tenant-Y")
		require.ErrorIs(t, err, policy.ErrInvalidPolicy)
		d, err := policy.Decide(ctx, reg, tenant("Tenant-Y"), policy.ResourceTypeTool, "agent:tool:anything")
		require.Error(t, err)
		assert.False(t, d.Allowed)

		put("Tenant-Z", "POL-Z", `{"policyId":"POL-Z","tenantId":"Tenant-Z","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["*"],"effect":"DENY"}]}`)
		_, err = reg.Policy(ctx, "Tenant-Z")
		require.ErrorIs(t, err, policy.ErrInvalidPolicy)

		put("Tenant-W", "POL-OTHER", policyJSON("POL-W", "Tenant-W", "*"))
		_, err = reg.Policy(ctx, "Tenant-W")
		require.ErrorIs(t, err, policy.ErrInvalidPolicy)

		item := key("USER#eve", "TENANT")
		item[AttrTenantID] = &types.AttributeValueMemberS{Value: "../Tenant-A"}
		_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		require.NoError(t, err)
		_, err = reg.TenantOf(ctx, "eve")
		require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID)
	})

	t.Run("behind a cache", func(t *testing.T) {
		c, err := policy.NewCache(reg, policy.CacheConfig{TTL: time.Minute})
		require.NoError(t, err)
		for i := 0; i < 3; i++ {
			d, err := policy.Decide(ctx, c, tenant("Tenant-A"), policy.ResourceTypeTool, "agent:tool:v2")
			require.NoError(t, err)
			assert.True(t, d.Allowed)
		}
		_, err = c.Policy(ctx, "Tenant-Nobody")
		require.ErrorIs(t, err, policy.ErrNoPolicy)
	})

	t.Run("missing table", func(t *testing.T) {
		other, err := New(client, Config{Table: "no-such-table"})
		require.NoError(t, err)
		_, err = other.Policy(ctx, "Tenant-A")
		require.Error(t, err)
		assert.NotErrorIs(t, err, policy.ErrNoPolicy, "a backend failure is not a missing policy")
		var rnf *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &rnf)
	})
}

// refusingDynamo fails the test on any call: ids that fail validation must
// never reach DynamoDB.
type refusingDynamo struct{ t *testing.T }

func (f refusingDynamo) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.t.Error("unexpected GetItem")
	return nil, errors.New("unexpected")
}

func (f refusingDynamo) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.t.Error("unexpected PutItem")
	return nil, errors.New("unexpected")
}

func (f refusingDynamo) DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.t.Error("unexpected DeleteItem")
	return nil, errors.New("unexpected")
}

func TestRegistryValidatesKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := New(refusingDynamo{t}, Config{Table: "t"})
	require.NoError(t, err)
	for _, id := range []string{"", "a b", "a\x00", "USER#x\nTENANT", strings.Repeat("u", policy.MaxUserIDLen+1)} {
		_, err := reg.TenantOf(ctx, id)
		require.ErrorIs(t, err, policy.ErrUnknownUser, "%q", id)
		require.ErrorIs(t, err, policy.ErrInvalidUserID, "%q", id)
		require.ErrorIs(t, reg.PutUser(ctx, id, "Tenant-A"), policy.ErrInvalidUserID)
		require.ErrorIs(t, reg.DeleteUser(ctx, id), policy.ErrInvalidUserID)
	}
	for _, id := range []string{"", "Tenant#A", "Tenant-A/../B", "a.b", strings.Repeat("t", 65)} {
		_, err := reg.Policy(ctx, id)
		require.ErrorIs(t, err, policy.ErrNoPolicy, "%q", id)
		require.ErrorIs(t, err, tenantctx.ErrInvalidTenantID, "%q", id)
		require.ErrorIs(t, reg.DeletePolicy(ctx, id), tenantctx.ErrInvalidTenantID)
	}
	_, err = reg.PutPolicy(ctx, []byte(`{}`))
	require.ErrorIs(t, err, policy.ErrInvalidPolicy)

	_, err = New(nil, Config{Table: "t"})
	require.Error(t, err)
	_, err = New(refusingDynamo{t}, Config{})
	require.Error(t, err)
}

// stubDynamo answers GetItem with a fixed item or error.
type stubDynamo struct {
	refusingDynamo
	item map[string]types.AttributeValue
	err  error
}

func (s stubDynamo) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: s.item}, s.err
}

func TestRegistryBadItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	errDown := errors.New("connection refused")
	for _, tc := range []struct {
		name string
		item map[string]types.AttributeValue
		err  error
		want error
	}{
		{"backend error", nil, errDown, errDown},
		{"no document attribute", map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: "TENANT#Tenant-A"}}, nil, policy.ErrInvalidPolicy},
		{"document not a string", map[string]types.AttributeValue{AttrDocument: &types.AttributeValueMemberB{Value: []byte(issueDoc)}}, nil, policy.ErrInvalidPolicy},
		{"policy id attribute missing", map[string]types.AttributeValue{AttrDocument: &types.AttributeValueMemberS{Value: issueDoc}}, nil, policy.ErrInvalidPolicy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg, err := New(stubDynamo{refusingDynamo: refusingDynamo{t}, item: tc.item, err: tc.err}, Config{Table: "t"})
			require.NoError(t, err)
			d, err := policy.Decide(ctx, reg, tenant("Tenant-A"), policy.ResourceTypeTool, "agent:tool:order-lookup")
			require.ErrorIs(t, err, tc.want)
			assert.False(t, d.Allowed)
		})
	}
	reg, err := New(stubDynamo{refusingDynamo: refusingDynamo{t}, item: map[string]types.AttributeValue{AttrTenantID: &types.AttributeValueMemberN{Value: "1"}}}, Config{Table: "t"})
	require.NoError(t, err)
	_, err = reg.TenantOf(ctx, "alice")
	require.Error(t, err)
	assert.NotErrorIs(t, err, policy.ErrUnknownUser)
}

// issueDoc is the document from the issue, verbatim.
const issueDoc = `{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup"]},{"effect":"DENY","resourceType":"TOOL","resources":["agent:tool:admin-refund"],"reason":"Insufficient privileges"}]}`

func policyJSON(id, tenantID, tool string) string {
	return `{"policyId":"` + id + `","tenantId":"` + tenantID + `","rules":[{"effect":"ALLOW","resourceType":"TOOL","resources":["` + tool + `"]}]}`
}

func tenant(id string) *tenantctx.Tenant { return &tenantctx.Tenant{ID: id} }
