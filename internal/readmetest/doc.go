// Package readmetest keeps the README's code honest. It has no API: its
// test reads the module's README.md and fails when a Go snippet there is
// not a verbatim excerpt of the body of an Example function in one of the
// repository's example*_test.go files.
//
// # Why
//
// The package tour in README.md promises code that compiles. Snippets
// copied by hand drift from the API; Example tests do not, because go test
// compiles them and checks their // Output. So every ```go block in the
// README must be a contiguous run of lines of some Example function body,
// compared line by line after trimming leading and trailing white space
// and ignoring blank lines, and that Example must have an output comment
// (a compile-only Example is not enough: its code never runs). Edit the
// Example first, then paste the lines into the README. A failure names the
// README line of the block, its first line and the first line that was not
// found.
//
// # Scope
//
// Example files are searched in the library module only: the nested
// modules benchmarks/ and interop/, the example programs in examples/,
// testdata directories and hidden directories are skipped.
package readmetest
