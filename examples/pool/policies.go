package main

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/tenantkit/tenantkit/policy"
)

// The tenants' tool-access policies, in the document format tenants
// already write, and the user → tenant mapping. They are embedded so that
// the demo needs no files; policy.NewFileRegistry reads the same files from
// a directory (with reload), and policy has a DynamoDB registry too.
//
//go:embed policies/*.json
var policyFiles embed.FS

// loadRegistry reads policies/ from fsys (nil means the embedded files),
// parses every policy document strictly, checks that no two share a policy
// id or a tenant, compiles them, and returns a registry that maps users to
// tenants and tenants to policies.
func loadRegistry(fsys fs.FS) (*policy.MemoryRegistry, []*policy.Document, error) {
	if fsys == nil {
		fsys = policyFiles
	}
	names, err := fs.Glob(fsys, "policies/tenant-*.json")
	if err != nil {
		return nil, nil, err
	}
	var (
		docs     []*policy.Document
		compiled []*policy.Policy
	)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, nil, err
		}
		doc, err := policy.Parse(data) // strict: unknown fields, bad effects, ... are errors
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		docs = append(docs, doc)
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("no policy documents")
	}
	if err := policy.ValidateSet(docs); err != nil {
		return nil, nil, err
	}
	for _, doc := range docs {
		p, err := policy.Compile(doc)
		if err != nil {
			return nil, nil, err
		}
		compiled = append(compiled, p)
	}
	usersJSON, err := fs.ReadFile(fsys, "policies/"+policy.DefaultUsersFile)
	if err != nil {
		return nil, nil, err
	}
	users, err := policy.ParseUsers(usersJSON)
	if err != nil {
		return nil, nil, err
	}
	reg, err := policy.NewMemoryRegistry(users, compiled...)
	if err != nil {
		return nil, nil, err
	}
	return reg, docs, nil
}
