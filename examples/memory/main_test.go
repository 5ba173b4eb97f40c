package main

import "testing"

// TestRun runs the example end to end; run fails if the cross-tenant read,
// the hostile id or the forged namespace is not blocked.
func TestRun(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
