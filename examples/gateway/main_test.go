package main

import "testing"

// TestRun runs the example end to end; run fails if a tenant sees another
// tenant's tools, a denied call is not refused by the gateway, or a denied
// tool handler runs.
func TestRun(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
