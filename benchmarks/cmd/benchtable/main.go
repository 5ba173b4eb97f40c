// Command benchtable runs tenantkit's benchmarks and the peer comparisons in
// one go and prints them as the Markdown table that README.md shows.
//
// Run it from the benchmarks module:
//
//	cd benchmarks && go run ./cmd/benchtable -update ../README.md
//
// Without -update it prints the table to standard output. The table is
// written between the markers "<!-- bench:start -->" and "<!-- bench:end -->".
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// suite is one `go test -bench` invocation.
type suite struct {
	dir   string   // module directory, relative to the repository root
	pkgs  []string // packages to benchmark
	bench string   // -bench pattern
}

var suites = []suite{
	{".", []string{"./tenantctx"}, "^(BenchmarkVerify|BenchmarkMiddleware|BenchmarkGolangJWT)$"},
	{".", []string{"./policy"}, "^BenchmarkEvaluate$"},
	{".", []string{"./policy/iam"}, "^BenchmarkEvaluate$"},
	{".", []string{"./policy/gateway"}, "^(BenchmarkMCPGateway|BenchmarkMCPMiddleware)$"},
	{".", []string{"./stsx"}, "^BenchmarkCredentials$"},
	{".", []string{"./a2a"}, "^BenchmarkTransport$"},
	{".", []string{"./memoryns"}, "^(BenchmarkBuild|BenchmarkCheck)$"},
	{"benchmarks", []string{"."}, "."},
}

const (
	startMarker = "<!-- bench:start -->"
	endMarker   = "<!-- bench:end -->"
)

func main() {
	root := flag.String("root", "..", "repository root")
	benchtime := flag.String("benchtime", "1s", "value for go test -benchtime")
	count := flag.Int("count", 1, "value for go test -count")
	update := flag.String("update", "", "README file whose bench markers are replaced with the table")
	flag.Parse()

	table, err := run(*root, *benchtime, *count, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if *update == "" {
		fmt.Print(table)
		return
	}
	if err := replaceBetweenMarkers(*update, table); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op)?(?:\s+([\d.]+) allocs/op)?`)

type result struct {
	pkg, name         string
	ns, bytes, allocs string
}

func run(root, benchtime string, count int, log io.Writer) (string, error) {
	var (
		results []result
		cpu     string
	)
	for _, s := range suites {
		args := append([]string{"test", "-run=^$", "-bench=" + s.bench, "-benchmem",
			"-benchtime=" + benchtime, fmt.Sprintf("-count=%d", count)}, s.pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Join(root, s.dir)
		var out bytes.Buffer
		cmd.Stdout = io.MultiWriter(&out, log)
		cmd.Stderr = log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), s.dir, err)
		}
		pkg := ""
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "pkg: "):
				pkg = strings.TrimPrefix(line, "pkg: github.com/tenantkit/tenantkit")
				pkg = strings.TrimPrefix(pkg, "/")
				if pkg == "" {
					pkg = "tenantkit"
				}
			case strings.HasPrefix(line, "cpu: "):
				cpu = strings.TrimPrefix(line, "cpu: ")
			default:
				if m := benchLine.FindStringSubmatch(line); m != nil {
					results = append(results, result{pkg: pkg, name: m[1], ns: m[3], bytes: m[4], allocs: m[5]})
				}
			}
		}
	}
	if len(results) == 0 {
		return "", errors.New("no benchmark results parsed")
	}
	var b strings.Builder
	ver, _ := exec.Command("go", "version").Output()
	fmt.Fprintf(&b, "%s, %s/%s, %d CPUs, `%s`, -benchtime=%s\n\n",
		strings.TrimSpace(string(ver)), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, benchtime)
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.pkg, r.name, r.ns, r.bytes, r.allocs)
	}
	return b.String(), nil
}

func replaceBetweenMarkers(path, table string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(data)
	i := strings.Index(s, startMarker)
	j := strings.Index(s, endMarker)
	if i < 0 || j < i {
		return fmt.Errorf("%s: markers %q and %q not found", path, startMarker, endMarker)
	}
	s = s[:i+len(startMarker)] + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
