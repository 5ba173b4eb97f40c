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
	"strconv"
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
	fmt.Fprintf(&b, "%s, %d CPUs, `%s`, -benchtime=%s\n\n",
		strings.TrimSpace(string(ver)), runtime.NumCPU(), cpu, benchtime)
	b.WriteString(budgetTable(results))
	b.WriteString("\nAll results:\n\n")
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.pkg, r.name, r.ns, r.bytes, r.allocs)
	}
	return b.String(), nil
}

// budget is one performance budget from the design, checked against the
// parsed results.
type budget struct {
	path  string
	check func(get func(pkg, name string) (result, bool)) (measured string, ok bool)
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// under checks that benchmark name in pkg runs in less than ns and with at
// most allocs allocations (allocs < 0: not checked).
func under(pkg, name string, ns float64, allocs int) func(func(string, string) (result, bool)) (string, bool) {
	return func(get func(string, string) (result, bool)) (string, bool) {
		r, ok := get(pkg, name)
		if !ok {
			return "missing", false
		}
		m := fmt.Sprintf("%s ns, %s allocs", r.ns, r.allocs)
		return m, num(r.ns) < ns && (allocs < 0 || num(r.allocs) <= float64(allocs))
	}
}

var budgets = []budget{
	{"middleware, verified-token cache hit (`BenchmarkMiddleware/cached`): < 1 µs, ≤ 2 allocs", under("tenantctx", "BenchmarkMiddleware/cached", 1000, 2)},
	{"middleware, first sight of an RS256 token (`BenchmarkMiddleware/cold-RS256` vs `BenchmarkGolangJWT/RS256`): within 15%", func(get func(string, string) (result, bool)) (string, bool) {
		cold, ok1 := get("tenantctx", "BenchmarkMiddleware/cold-RS256")
		ref, ok2 := get("tenantctx", "BenchmarkGolangJWT/RS256")
		if !ok1 || !ok2 {
			return "missing", false
		}
		ratio := num(cold.ns) / num(ref.ns)
		return fmt.Sprintf("%s ns vs %s ns (%+.1f%%)", cold.ns, ref.ns, (ratio-1)*100), ratio <= 1.15
	}},
	{"policy decision, 2 rules (`BenchmarkEvaluate/rules=2`): < 100 ns, 0 allocs", under("policy", "BenchmarkEvaluate/rules=2", 100, 0)},
	{"policy decision, 1,000 rules (`BenchmarkEvaluate/rules=1000`): < 300 ns, 0 allocs", under("policy", "BenchmarkEvaluate/rules=1000", 300, 0)},
	{"stsx credentials, cache hit (`BenchmarkCredentials/hit`): < 100 ns, 0 allocs", under("stsx", "BenchmarkCredentials/hit", 100, 0)},
	{"a2a RoundTrip overhead (`BenchmarkTransport/no-io/cached-token` − `no-io/base`; over loopback HTTP for reference): < 2 µs", func(get func(string, string) (result, bool)) (string, bool) {
		base, ok1 := get("a2a", "BenchmarkTransport/no-io/base")
		ours, ok2 := get("a2a", "BenchmarkTransport/no-io/cached-token")
		netBase, ok3 := get("a2a", "BenchmarkTransport/base")
		netOurs, ok4 := get("a2a", "BenchmarkTransport/cached-token")
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return "missing", false
		}
		d := num(ours.ns) - num(base.ns)
		return fmt.Sprintf("%.0f ns (loopback HTTP: %.0f ns, %s − %s)", d, num(netOurs.ns)-num(netBase.ns), netOurs.ns, netBase.ns), d < 2000
	}},
	{"memoryns build (`BenchmarkBuild`): < 100 ns", under("memoryns", "BenchmarkBuild", 100, -1)},
	{"memoryns scope check (`BenchmarkCheck`): < 50 ns, 0 allocs", under("memoryns", "BenchmarkCheck", 50, 0)},
}

func budgetTable(results []result) string {
	get := func(pkg, name string) (result, bool) {
		for _, r := range results {
			if r.pkg == pkg && r.name == name {
				return r, true
			}
		}
		return result{}, false
	}
	var b strings.Builder
	b.WriteString("| budget | measured | met |\n|---|---|:-:|\n")
	for _, bg := range budgets {
		m, ok := bg.check(get)
		mark := "yes"
		if !ok {
			mark = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", bg.path, m, mark)
	}
	return b.String()
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
