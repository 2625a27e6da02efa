package postgres_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/matcher"
)

// knownStatuses are the statuses SQL may compare or assign: every entity's
// of status_transition, and recon_row's (the matcher's).
func knownStatuses() map[string]bool {
	known := map[string]bool{}
	for _, list := range contract.Statuses {
		for _, s := range list {
			known[s] = true
		}
	}
	for _, s := range matcher.Statuses {
		known[string(s)] = true
	}
	return known
}

var (
	quoted = regexp.MustCompile(`'([^']*)'`)
	// A literal joined to more text (||) is a fragment of a label, no status.
	fragment = regexp.MustCompile(`'[^']*'\s*\|\|`)
	// Places a quoted literal is a status: compared with or assigned to a
	// status column, listed for one, a CASE over one or the value of one.
	statusContexts = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\b[\w.]*status\s*(?:=|<>|!=)\s*'[^']*'`),
		regexp.MustCompile(`(?i)'[^']*'\s*(?:=|<>|!=)\s*[\w.]*status\b`),
		regexp.MustCompile(`(?i)\b[\w.]*status\s+(?:NOT\s+)?IN\s*\(\s*'[^)]*\)`),
		regexp.MustCompile(`(?is)\bCASE\s+[\w.]*status\s+WHEN\b.*?\bEND\b`),
		regexp.MustCompile(`(?is)\bstatus\s*=\s*CASE\b.*?\bEND\b`),
	}
	insert = regexp.MustCompile(`(?is)\bINSERT\s+INTO\s+\w+\s*\(([^)]*)\)\s*(?:VALUES\s*\((.*?)\)\s*(?:ON|RETURNING|$)|SELECT\s+(.*?)\s+FROM\b)`)
)

// sqlStatusLiterals returns the quoted literals src's SQL uses as statuses,
// with their lines. SQL is a string literal, or a concatenation of them
// with Go expressions between (written as ⟨⟩).
func sqlStatusLiterals(t *testing.T, fset *token.FileSet, file *ast.File) map[string][]int {
	t.Helper()
	found := map[string][]int{}
	seen := map[ast.Node]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		expr, ok := n.(ast.Expr)
		if !ok || seen[n] {
			return true
		}
		text, ok := concatenation(expr, seen)
		if !ok || !strings.Contains(strings.ToLower(text), "status") {
			return true
		}
		line := fset.Position(expr.Pos()).Line
		for _, lit := range statusLiterals(text) {
			found[lit] = append(found[lit], line+lit2line(text, lit))
		}
		return true
	})
	return found
}

// lit2line is how many lines into text the first use of literal lit is.
func lit2line(text, lit string) int {
	return strings.Count(text[:max(strings.Index(text, "'"+lit+"'"), 0)], "\n")
}

// concatenation joins a string literal or a + chain holding one; the
// other operands become ⟨⟩.
func concatenation(e ast.Expr, seen map[ast.Node]bool) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		seen[e.X], seen[e.Y] = true, true
		l, lok := concatenation(e.X, seen)
		r, rok := concatenation(e.Y, seen)
		if !lok && !rok {
			return "", false
		}
		if !lok {
			l = "⟨⟩"
		}
		if !rok {
			r = "⟨⟩"
		}
		return l + r, true
	case *ast.ParenExpr:
		return concatenation(e.X, seen)
	}
	return "", false
}

// statusLiterals are the quoted literals of sql in a status context.
func statusLiterals(sql string) []string {
	var out []string
	for _, re := range statusContexts {
		for _, m := range re.FindAllString(sql, -1) {
			for _, q := range quoted.FindAllStringSubmatch(fragment.ReplaceAllString(m, ""), -1) {
				out = append(out, q[1])
			}
		}
	}
	for _, m := range insert.FindAllStringSubmatch(sql, -1) {
		cols := splitTop(m[1])
		vals := splitTop(m[2] + m[3])
		for i, c := range cols {
			if strings.TrimSpace(c) == "status" && i < len(vals) {
				if q := quoted.FindStringSubmatch(strings.TrimSpace(vals[i])); q != nil && q[0] == strings.TrimSpace(vals[i]) {
					out = append(out, q[1])
				}
			}
		}
	}
	return out
}

// splitTop splits a list at its commas outside parentheses.
func splitTop(list string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range list {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, list[start:i])
				start = i + 1
			}
		}
	}
	return append(out, list[start:])
}

// Every status the Go code's SQL compares or assigns is one the contract
// (and so status_transition) knows: a typo breaks this test, not a run.
func TestSQLStatusLiteralsAreKnown(t *testing.T) {
	known := knownStatuses()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files, checked := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		for lit, lines := range sqlStatusLiterals(t, fset, f) {
			checked += len(lines)
			if !known[lit] {
				for _, line := range lines {
					t.Errorf("%s:%d: status %q in SQL is no status of contract.Statuses (or the matcher's)", path, line, lit)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d status literals in the SQL of %d files", checked, files)
	if files < 100 || checked < 100 {
		t.Fatalf("scanned %d files and %d status literals: the walk missed the SQL", files, checked)
	}
}

// The scanner finds statuses in each context SQL uses them in, and only there.
func TestSQLStatusScanner(t *testing.T) {
	const src = `package x
const a = ` + "`" + `UPDATE run SET status = 'finshed' WHERE id = $1 AND status IN ('sending', 'procesing')` + "`" + `
var b = "SELECT 1 FROM payment p WHERE p.status <> 'eror'" + cond + "AND kind = 'cancellations'"
var c = ` + "`" + `UPDATE payment SET status = CASE c.status WHEN 'cancelled' THEN 'canceled' ELSE 'cancel_unknown' END` + "`" + `
var d = ` + "`" + `INSERT INTO run (organization_id, run_key, status, kind) VALUES ($1, $2, 'creatd', 'cancellations') RETURNING id` + "`" + `
var e = ` + "`" + `INSERT INTO package (run_id, status) SELECT $1, 'bilt' FROM x` + "`" + `
var f = "action = 'load'"
var g = ` + "`" + `CASE c.status WHEN 'cancelled' THEN 'cancelled' ELSE 'cancel_' || c.status END` + "`" + `
`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := sqlStatusLiterals(t, fset, file)
	known := knownStatuses()
	var unknown []string
	for lit := range got {
		if !known[lit] {
			unknown = append(unknown, lit)
		}
	}
	want := []string{"bilt", "canceled", "creatd", "eror", "finshed", "procesing"}
	slices.Sort(unknown)
	if !slices.Equal(unknown, want) {
		t.Errorf("unknown statuses found %v, want %v (all found: %v)", unknown, want, got)
	}
	for _, notStatus := range []string{"cancellations", "load", "cancel_"} {
		if _, ok := got[notStatus]; ok {
			t.Errorf("%q taken for a status", notStatus)
		}
	}
	if lines := got["procesing"]; len(lines) != 1 || lines[0] != 2 {
		t.Errorf("procesing found on lines %v, want [2]", lines)
	}
}
