package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Outcomes of a step. Every step states the outcome it expects before it
// runs; the trace compares it with what actually happened.
const (
	allow = "ALLOW"
	deny  = "DENY"
)

// Step is one line of the trace: one request at one hop, the decision that
// was expected, the decision that was made, and why.
type Step struct {
	N      int    `json:"step"`
	Phase  string `json:"phase"`
	Hop    string `json:"hop"` // edge, gateway, a2a, sts, memory
	Tenant string `json:"tenant"`
	User   string `json:"user"`
	Action string `json:"action"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Why    string `json:"why"`
	// Cross marks a check that one tenant cannot reach the other's data.
	Cross bool `json:"crossTenant,omitempty"`
	// OK is true when Got equals Want and every detail of the expectation
	// (reason, policy, tenant, call counts, ...) held.
	OK bool `json:"ok"`
}

// Report is the machine-readable result of a run (-json).
type Report struct {
	Tenant      string `json:"tenant"`
	User        string `json:"user"`
	OtherTenant string `json:"otherTenant"`
	OtherUser   string `json:"otherUser"`
	Steps       []Step `json:"steps"`
	Passed      int    `json:"passed"`
	Failed      int    `json:"failed"`
	OK          bool   `json:"ok"`
}

// trace records steps and, in text mode, prints each one as it happens.
// Steps are recorded from HTTP handlers too, hence the mutex.
type trace struct {
	mu     sync.Mutex
	out    io.Writer // nil in JSON mode
	phase  string
	report Report
}

// section starts a new phase of the scenario.
func (tr *trace) section(title string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.phase = title
	if tr.out != nil {
		fmt.Fprintf(tr.out, "\n── %s\n", title)
	}
}

// note prints an informational line in text mode. It is not a step.
func (tr *trace) note(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.out != nil {
		fmt.Fprintf(tr.out, format+"\n", args...)
	}
}

// check records a step. ok reports whether the details of the expectation
// held; the step passes only if, in addition, got equals s.Want.
func (tr *trace) check(s Step, got string, ok bool, why string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s.N = len(tr.report.Steps) + 1
	s.Phase = tr.phase
	s.Got, s.Why = got, why
	s.OK = ok && got == s.Want
	if s.OK {
		tr.report.Passed++
	} else {
		tr.report.Failed++
	}
	tr.report.Steps = append(tr.report.Steps, s)
	if tr.out == nil {
		return
	}
	mark, want := "✔", ""
	if !s.OK {
		mark, want = "✘", " — expected "+s.Want
		if got == s.Want {
			want = " — expectation not met"
		}
	}
	cross := ""
	if s.Cross {
		cross = "⇄ "
	}
	fmt.Fprintf(tr.out, "%s %-8s %s%s → %s (%s)%s\n", mark, s.Hop, cross, s.Action, got, why, want)
}

// result returns the finished report.
func (tr *trace) result() Report {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := tr.report
	r.Steps = append([]Step(nil), r.Steps...)
	r.OK = r.Failed == 0 && len(r.Steps) > 0
	return r
}

// writeJSON writes the report as one indented JSON document.
func writeJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
