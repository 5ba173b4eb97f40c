package strictjson_test

import (
	"errors"
	"fmt"

	"github.com/tenantkit/tenantkit/internal/strictjson"
)

func ExampleCheck() {
	opts := strictjson.Options{MaxDepth: 32, RequireObject: true}
	for _, claims := range []string{
		`{"sub":"u1","tenant_id":"t1"}`,
		`{"sub":"u1","tenant_id":"t1","tenant\u005fid":"t2"}`,
		`{"sub":"u1","tenant_id":"t1",}`,
	} {
		err := strictjson.Check([]byte(claims), opts)
		var dup *strictjson.DuplicateError
		switch {
		case err == nil:
			fmt.Println("ok")
		case errors.As(err, &dup):
			fmt.Printf("duplicate %q in %s\n", dup.Name, dup.Path)
		default:
			fmt.Println(err)
		}
	}
	// Output:
	// ok
	// duplicate "tenant_id" in $
	// strictjson: invalid json
}

func ExampleMembers() {
	body := []byte(`{"method":"tools/call","params":{"name":"a","Name":"b"}}`)
	err := strictjson.Members(body, strictjson.Options{FoldCase: true}, func(name, value []byte) error {
		fmt.Printf("%s = %s\n", name, value)
		return nil
	})
	fmt.Println(err)
	// The top-level object is clean; params is the caller's to check.
	err = strictjson.Members(body[len(`{"method":"tools/call","params":`):len(body)-1], strictjson.Options{FoldCase: true},
		func(name, value []byte) error { return nil })
	fmt.Println(errors.Is(err, strictjson.ErrDuplicateMember))
	// Output:
	// method = "tools/call"
	// params = {"name":"a","Name":"b"}
	// <nil>
	// true
}
