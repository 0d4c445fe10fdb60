package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The package's shape, checked so that it stays: a mode file (mode_*.go)
// uses shared files but never another mode's functions, and every failure
// the user sees is phrased in messages.go.
func TestShape(t *testing.T) {
	files := parsePackage(t)
	// Functions and types; a method goes with its type, so using another
	// mode's type is what the check catches.
	declaredIn := map[string]string{}
	for name, f := range files {
		if !isModeFile(name) {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declaredIn[d.Name.Name] = name
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok {
						declaredIn[ts.Name.Name] = name
					}
				}
			}
		}
	}
	if len(declaredIn) == 0 {
		t.Fatal("no mode files found")
	}
	reports := 0
	for name, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if owner, ok := declaredIn[n.Name]; ok && isModeFile(name) && owner != name {
					t.Errorf("%s uses %s from %s: a mode must not call another mode; move it to a shared file", name, n.Name, owner)
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "failure" && name != "messages.go" {
					t.Errorf("%s builds a failure at line %d: phrase it in messages.go", name, lineOf(f, n))
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "errorf" || id.Name == "hintf" || id.Name == "usagef") && name != "messages.go" {
					t.Errorf("%s prints an error line at line %d: only messages.go writes them", name, lineOf(f, n))
				}
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "report" || id.Name == "failDetached") {
					reports++
					if name != "messages.go" {
						t.Errorf("%s reports a failure at line %d: return it; exitWith reports", name, lineOf(f, n))
					}
				}
			}
			return true
		})
	}
	if reports != 2 { // exitWith's two branches: the waiting parent, or stderr
		t.Errorf("report and failDetached are called %d times, want once each, in exitWith", reports)
	}
}

func isModeFile(name string) bool { return strings.HasPrefix(name, "mode_") }

var shapeFset = token.NewFileSet()

func lineOf(_ *ast.File, n ast.Node) int { return shapeFset.Position(n.Pos()).Line }

func parsePackage(t *testing.T) map[string]*ast.File {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(shapeFset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = f
	}
	return files
}
