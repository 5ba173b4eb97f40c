package readmetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleRoot is the library module's root, relative to this package.
var moduleRoot = filepath.Join("..", "..")

// skippedDirs are the root-level directories whose example files do not
// count: nested modules and the example programs.
var skippedDirs = map[string]bool{"benchmarks": true, "interop": true, "examples": true}

// snippet is one ```go block of the README.
type snippet struct {
	line  int      // 1-based README line of the opening fence
	lines []string // trimmed, non-blank lines
}

// first names the snippet in failure messages.
func (s snippet) first() string {
	if len(s.lines) == 0 {
		return "(empty)"
	}
	return s.lines[0]
}

// exampleBody is the body of one Example function.
type exampleBody struct {
	file  string   // path relative to the module root
	name  string   // function name
	lines []string // trimmed, non-blank lines between the braces
	runs  bool     // it has an output comment, so go test runs it
}

// outputComment matches the comment that makes go test run an Example
// (the same pattern as the go/doc package's).
var outputComment = regexp.MustCompile(`(?i)^//[[:space:]]*(unordered )?output:`)

// normalize trims every line and drops blank ones.
func normalize(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// goBlocks returns the ```go fenced blocks of a markdown document.
func goBlocks(md []byte) ([]snippet, error) {
	var (
		blocks []snippet
		cur    *snippet
		raw    []string
		n      int
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	for sc.Scan() {
		n++
		l := strings.TrimSpace(sc.Text())
		switch {
		case cur == nil && l == "```go":
			cur, raw = &snippet{line: n}, nil
		case cur != nil && strings.HasPrefix(l, "```"):
			if l != "```" {
				return nil, fmt.Errorf("line %d: fence %q inside the go block opened on line %d", n, l, cur.line)
			}
			cur.lines = normalize(raw)
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			raw = append(raw, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: go block never closed", cur.line)
	}
	return blocks, nil
}

// exampleBodies returns the bodies of the Example functions in one Go file.
func exampleBodies(name string, src []byte) ([]exampleBody, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(src), "\n")
	var out []exampleBody
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Example") {
			continue
		}
		open := fset.Position(fn.Body.Lbrace)
		closing := fset.Position(fn.Body.Rbrace)
		// Lines strictly between the braces; a one-line body has none.
		var body []string
		if closing.Line > open.Line {
			body = lines[open.Line : closing.Line-1]
		}
		eb := exampleBody{file: name, name: fn.Name.Name, lines: normalize(body)}
		for _, l := range eb.lines {
			eb.runs = eb.runs || outputComment.MatchString(l)
		}
		out = append(out, eb)
	}
	return out, nil
}

// collectExamples parses every example*_test.go file under root.
func collectExamples(root string) ([]exampleBody, error) {
	var out []exampleBody
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			base := d.Name()
			if skippedDirs[rel] || base == "testdata" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		base := d.Name()
		if !strings.HasPrefix(base, "example") || !strings.HasSuffix(base, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		bodies, err := exampleBodies(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		out = append(out, bodies...)
		return nil
	})
	return out, err
}

// result says where a snippet was found, or how far it got.
type result struct {
	found   *exampleBody // the body containing the whole snippet, or nil
	matched int          // when not found: the longest run of leading snippet lines found
	best    *exampleBody // when not found: the body holding that run, or nil
}

// locate looks for lines, in order and contiguous, in one of bodies,
// preferring an Example that go test runs.
func locate(lines []string, bodies []exampleBody) result {
	var r result
	for i := range bodies {
		b := &bodies[i]
		for start := range b.lines {
			k := 0
			for k < len(lines) && start+k < len(b.lines) && b.lines[start+k] == lines[k] {
				k++
			}
			switch {
			case k == len(lines) && b.runs:
				return result{found: b}
			case k == len(lines):
				if r.found == nil {
					r.found = b
				}
			case k > r.matched:
				r.matched, r.best = k, b
			}
		}
	}
	return r
}

// problem explains why the snippet fails, or returns "".
func problem(s snippet, r result) string {
	switch {
	case r.found != nil && r.found.runs:
		return ""
	case r.found != nil:
		return fmt.Sprintf("README.md:%d: go block starting %q is in %s (%s), which has no // Output: comment, so go test never runs it",
			s.line, s.first(), r.found.name, r.found.file)
	}
	msg := fmt.Sprintf("README.md:%d: go block starting %q is not an excerpt of any Example function body; first line not found: %q",
		s.line, s.first(), s.lines[r.matched])
	if r.best != nil {
		msg += fmt.Sprintf(" (the block's first %d line(s) are in %s, %s)", r.matched, r.best.name, r.best.file)
	}
	return msg
}

func TestREADMESnippetsAreExamples(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile(filepath.Join(moduleRoot, "go.mod"))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(mod, []byte("module github.com/tenantkit/tenantkit\n")), "%s is not the library module's root", moduleRoot)
	readme, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	require.NoError(t, err)

	blocks, err := goBlocks(readme)
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "README.md has no go blocks")
	bodies, err := collectExamples(moduleRoot)
	require.NoError(t, err)
	require.NotEmpty(t, bodies, "no Example functions found")

	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			t.Parallel()
			require.NotEmpty(t, b.lines, "README.md:%d: empty go block", b.line)
			r := locate(b.lines, bodies)
			if msg := problem(b, r); msg != "" {
				t.Error(msg)
				return
			}
			t.Logf("README.md:%d is in %s (%s)", b.line, r.found.name, r.found.file)
		})
	}
}

const exampleSrc = "package x_test\n" +
	"\n" +
	"import \"fmt\"\n" +
	"\n" +
	"func helper() {\n" +
	"\tfmt.Println(\"in helper\")\n" +
	"}\n" +
	"\n" +
	"func ExampleA() {\n" +
	"\tx := 1\n" +
	"\n" +
	"\tif x > 0 {\n" +
	"\t\tfmt.Println(x)\n" +
	"\t}\n" +
	"\t// Output: 1\n" +
	"}\n" +
	"\n" +
	"func ExampleB() { fmt.Println(2) }\n" +
	"\n" +
	"// ExampleC is compiled, never run.\n" +
	"func ExampleC() {\n" +
	"\ty := 2\n" +
	"\tfmt.Println(y)\n" +
	"\tfmt.Println(\"only in C\")\n" +
	"}\n" +
	"\n" +
	"func ExampleD() {\n" +
	"\ty := 2\n" +
	"\tfmt.Println(y)\n" +
	"\t// Unordered output:\n" +
	"\t// 2\n" +
	"}\n"

func TestLocate(t *testing.T) {
	t.Parallel()
	bodies, err := exampleBodies("x/example_test.go", []byte(exampleSrc))
	require.NoError(t, err)
	require.Len(t, bodies, 4)
	assert.Empty(t, bodies[1].lines, "a one-line body has no excerptable lines")
	assert.Equal(t, []bool{true, false, false, true}, []bool{bodies[0].runs, bodies[1].runs, bodies[2].runs, bodies[3].runs})

	tests := []struct {
		name    string
		snippet string
		found   string // Example name, "" when not found
		missing string // first line not found, when not found
		problem string // part of the failure message, "" when it passes
	}{
		{name: "whole body", snippet: "x := 1\nif x > 0 {\n\tfmt.Println(x)\n}\n// Output: 1", found: "ExampleA"},
		{name: "other indentation and blank lines", snippet: "  if x > 0 {\n\n        fmt.Println(x)\n  }", found: "ExampleA"},
		{name: "prefers the example that runs", snippet: "y := 2\nfmt.Println(y)", found: "ExampleD"},
		{name: "only in an example that never runs", snippet: "fmt.Println(y)\nfmt.Println(\"only in C\")", found: "ExampleC",
			problem: "is in ExampleC (x/example_test.go), which has no // Output: comment"},
		{name: "changed line", snippet: "x := 1\nif x > 1 {", missing: "if x > 1 {",
			problem: "(the block's first 1 line(s) are in ExampleA, x/example_test.go)"},
		{name: "line order", snippet: "if x > 0 {\nx := 1", missing: "x := 1"},
		{name: "not contiguous", snippet: "x := 1\nfmt.Println(x)", missing: "fmt.Println(x)"},
		{name: "across two examples", snippet: "// Output: 1\ny := 2", missing: "y := 2"},
		{name: "helper is not an example", snippet: "fmt.Println(\"in helper\")", missing: "fmt.Println(\"in helper\")"},
		{name: "one-line body is not excerptable", snippet: "fmt.Println(2)", missing: "fmt.Println(2)"},
		{name: "inner white space counts", snippet: "x  := 1", missing: "x  := 1"},
		{name: "longer than the body", snippet: "y := 2\nfmt.Println(y)\n// Unordered output:\n// 2\n}", missing: "}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := snippet{line: 7, lines: normalize(strings.Split(tt.snippet, "\n"))}
			r := locate(s.lines, bodies)
			msg := problem(s, r)
			if tt.found != "" {
				require.NotNil(t, r.found)
				assert.Equal(t, tt.found, r.found.name)
			} else {
				require.Nil(t, r.found)
				assert.Equal(t, tt.missing, s.lines[r.matched])
				assert.Contains(t, msg, fmt.Sprintf("first line not found: %q", tt.missing))
			}
			if tt.found != "" && tt.problem == "" {
				assert.Empty(t, msg)
				return
			}
			assert.Contains(t, msg, "README.md:7:")
			assert.Contains(t, msg, fmt.Sprintf("%q", s.first()))
			assert.Contains(t, msg, tt.problem)
		})
	}
}

func TestGoBlocks(t *testing.T) {
	t.Parallel()
	md := "# t\n\n```sh\ngo test\n```\n\n```go\nx := 1\n\n  y := 2\n```\n\ntext\n\n  ```go\n  z()\n  ```\n"
	blocks, err := goBlocks([]byte(md))
	require.NoError(t, err)
	assert.Equal(t, []snippet{
		{line: 7, lines: []string{"x := 1", "y := 2"}},
		{line: 15, lines: []string{"z()"}},
	}, blocks)

	for _, bad := range []string{"```go\nx := 1\n", "```go\nx := 1\n```sh\n```\n"} {
		_, err := goBlocks([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestCollectExamplesSkips(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o600))
	}
	src := func(name string) string { return "package p_test\n\nfunc " + name + "() {\n\tprintln()\n}\n" }
	write("go.mod", "module example.com/m\n")
	write("pkg/example_test.go", src("ExampleKept"))
	write("pkg/sub/example_more_test.go", src("ExampleKeptToo"))
	write("pkg/other_test.go", src("ExampleNotAnExampleFile"))
	write("benchmarks/example_test.go", src("ExampleBenchmarks"))
	write("interop/example_test.go", src("ExampleInterop"))
	write("examples/pool/example_test.go", src("ExampleExamples"))
	write("pkg/testdata/example_test.go", src("ExampleTestdata"))
	write("nested/go.mod", "module example.com/nested\n")
	write("nested/example_test.go", src("ExampleNested"))

	bodies, err := collectExamples(root)
	require.NoError(t, err)
	var names []string
	for _, b := range bodies {
		names = append(names, b.name+" "+b.file)
	}
	assert.ElementsMatch(t, []string{"ExampleKept pkg/example_test.go", "ExampleKeptToo pkg/sub/example_more_test.go"}, names)

	write("pkg/broken/example_test.go", "package p_test\n\nfunc Example( {\n")
	_, err = collectExamples(root)
	assert.Error(t, err)
	var pathErr *fs.PathError
	assert.False(t, errors.As(err, &pathErr), "a parse error, not a file error: %v", err)
}
