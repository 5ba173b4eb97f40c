package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepLine matches one step of the narrated trace.
var stepLine = regexp.MustCompile(`^[✔✘] (edge|gateway|a2a|sts|memory) +\S`)

func runFor(t *testing.T, o options) (Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	rep, err := run(ctx, o, &out)
	require.NoError(t, err)
	return rep, out.String()
}

// TestRun plays the scenario for both tenants (and Tenant-B's basic-tier
// user) and requires every isolation expectation to hold, at every hop,
// including the cross-tenant checks against the other tenant.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tenant, user, wantUser, other string }{
		{"Tenant-A", "", "alice", "Tenant-B"},
		{"Tenant-B", "", "bob", "Tenant-A"},
		{"Tenant-B", "carol", "carol", "Tenant-A"},
	} {
		t.Run(tc.tenant+"/"+tc.wantUser, func(t *testing.T) {
			t.Parallel()

			// -json: one document that parses and agrees with the report.
			rep, out := runFor(t, options{tenant: tc.tenant, user: tc.user, json: true})
			var parsed Report
			require.NoError(t, json.Unmarshal([]byte(out), &parsed), "the -json output must be one JSON document")
			assert.Equal(t, rep, parsed)

			assert.Equal(t, tc.tenant, rep.Tenant)
			assert.Equal(t, tc.wantUser, rep.User)
			assert.Equal(t, tc.other, rep.OtherTenant)
			for _, s := range rep.Steps {
				assert.True(t, s.OK, "step %d %s %q: want %s, got %s (%s)", s.N, s.Hop, s.Action, s.Want, s.Got, s.Why)
			}
			require.True(t, rep.OK)
			assert.Zero(t, rep.Failed)
			assert.Equal(t, len(rep.Steps), rep.Passed)

			// Every hop is exercised, with at least one denial and one
			// cross-tenant check for each hop that can be attacked.
			allowed, denied, cross := map[string]int{}, map[string]int{}, map[string]int{}
			for _, s := range rep.Steps {
				switch s.Got {
				case allow:
					allowed[s.Hop]++
				case deny:
					denied[s.Hop]++
				}
				if s.Cross {
					cross[s.Hop]++
				}
			}
			for _, hop := range []string{"edge", "gateway", "a2a", "sts", "memory"} {
				assert.Positive(t, allowed[hop], "no allowed step at %s", hop)
				assert.Positive(t, denied[hop], "no denied step at %s", hop)
				assert.Positive(t, cross[hop], "no cross-tenant check at %s", hop)
			}

			// The narrated trace: one line per step and a passing summary.
			rep2, text := runFor(t, options{tenant: tc.tenant, user: tc.user})
			require.True(t, rep2.OK)
			var passed, failed int
			for _, line := range strings.Split(text, "\n") {
				if stepLine.MatchString(line) {
					if strings.HasPrefix(line, "✔") {
						passed++
					} else {
						failed++
					}
				}
			}
			assert.Equal(t, len(rep.Steps), passed)
			assert.Zero(t, failed)
			assert.Contains(t, text, fmt.Sprintf("all %d isolation expectations held", passed))
		})
	}
}

// TestRunNarratesTheIssueExample pins the line the README quotes.
func TestRunNarratesTheIssueExample(t *testing.T) {
	t.Parallel()
	_, text := runFor(t, options{tenant: "Tenant-A"})
	assert.Contains(t, text, "✔ gateway  tools/call admin-refund → DENY (POL-TENANT-A rule 1: Insufficient privileges; tool handler never ran)")
	assert.Contains(t, text, "key ASIA")
	assert.Contains(t, text, "STS calls for Tenant-A: 1")
}

// TestRunDetectsPolicyRegression proves the checks can fail: with a
// Tenant-A policy that wrongly allows admin-refund, the run reports the
// tools/list and tools/call expectations as failed.
func TestRunDetectsPolicyRegression(t *testing.T) {
	t.Parallel()
	broken := fstest.MapFS{}
	require.NoError(t, fs.WalkDir(policyFiles, "policies", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := policyFiles.ReadFile(path)
		broken[path] = &fstest.MapFile{Data: data}
		return err
	}))
	broken["policies/tenant-a.json"] = &fstest.MapFile{Data: []byte(`{"policyId":"POL-TENANT-A","tenantId":"Tenant-A","rules":[
	  {"effect":"ALLOW","resourceType":"TOOL","resources":["agent:tool:order-lookup","agent:tool:admin-refund"]}]}`)}

	rep, out := runFor(t, options{tenant: "Tenant-A", json: true, policies: broken})
	require.False(t, rep.OK)
	var failed []string
	for _, s := range rep.Steps {
		if !s.OK {
			failed = append(failed, s.Hop+" "+s.Action+" → "+s.Got)
		}
	}
	assert.ElementsMatch(t, []string{"gateway tools/list → ALLOW", "gateway tools/call admin-refund → ALLOW"}, failed)
	assert.Equal(t, 2, rep.Failed)
	var parsed Report
	require.NoError(t, json.Unmarshal([]byte(out), &parsed))
	assert.False(t, parsed.OK)
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, o := range []options{
		{tenant: "Tenant-C"},
		{tenant: "tenant-a"},
		{tenant: "Tenant-A", user: "bob"}, // bob belongs to Tenant-B
		{tenant: "Tenant-B", user: "mallory"},
	} {
		_, err := run(context.Background(), o, &bytes.Buffer{})
		assert.Error(t, err, "%+v", o)
	}
}

func TestTraceCheck(t *testing.T) {
	t.Parallel()
	tr := &trace{}
	tr.check(Step{Hop: "gateway", Want: deny}, deny, true, "as expected")
	tr.check(Step{Hop: "gateway", Want: deny}, allow, true, "wrong decision")
	tr.check(Step{Hop: "gateway", Want: allow}, allow, false, "detail failed")
	rep := tr.result()
	assert.False(t, rep.OK)
	assert.Equal(t, 1, rep.Passed)
	assert.Equal(t, 2, rep.Failed)
	assert.Equal(t, []bool{true, false, false}, []bool{rep.Steps[0].OK, rep.Steps[1].OK, rep.Steps[2].OK})
	assert.False(t, (&trace{}).result().OK, "an empty run is not a pass")
}
