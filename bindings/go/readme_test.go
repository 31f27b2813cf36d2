package lxd_test

// The README's snippets, as written: every ```go block compiles and passes
// go vet (fragments inside a function that provides what they take from
// the surrounding text), and the install sequence runs offline.

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const modulePath = "github.com/liblxd/liblxd/bindings/go"

// readmeBlocks returns the fenced blocks of README.md in the given language.
func readmeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	must(t, err)
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```"+lang+"\n(.*?)^```$").FindAllStringSubmatch(string(readme), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// fragmentFile wraps a README fragment into a function whose parameters are
// the names the README's text gives it (client, an instance c, data), in a
// block of its own (so that it may declare err again). Variables it
// declares and does not read again (e.g. `r, err := c.Exec(…)` shown for
// its result) get a `_ = x` after their declaration.
func fragmentFile(t *testing.T, i int, fragment string) []byte {
	t.Helper()
	var imports []string
	for _, pkg := range []string{"errors", "fmt", "io", "log", "os", "time"} {
		if regexp.MustCompile(`\b` + pkg + `\.`).MatchString(fragment) {
			imports = append(imports, fmt.Sprintf("%q", pkg))
		}
	}
	src := fmt.Sprintf("package snippets\n\nimport (\n%s\n\tlxd %q\n)\n\n"+
		"func snippet%d(client *lxd.Client, c *lxd.Object, data []byte) {\n"+
		"\tvar err error\n\t_, _, _, _ = client, c, data, err\n\t{\n%s\n\t}\n}\n",
		strings.Join(imports, "\n"), modulePath, i, fragment)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "snippet.go", src, 0)
	if err != nil {
		t.Fatalf("README fragment %d does not parse: %v\n%s", i, err, fragment)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if b, ok := n.(*ast.BlockStmt); ok {
			var list []ast.Stmt
			for _, st := range b.List {
				list = append(list, st)
				if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
					for _, lhs := range as.Lhs {
						if id, ok := lhs.(*ast.Ident); ok && id.Name != "_" {
							list = append(list, &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")},
								Tok: token.ASSIGN, Rhs: []ast.Expr{ast.NewIdent(id.Name)}})
						}
					}
				}
			}
			b.List = list
		}
		return true
	})
	var out bytes.Buffer
	must(t, printer.Fprint(&out, fset, f))
	return out.Bytes()
}

func TestReadmeSnippetsCompile(t *testing.T) {
	here, err := filepath.Abs(".")
	must(t, err)
	dir := t.TempDir()
	gomod := fmt.Sprintf("module lxdt.example/readme\n\ngo 1.19\n\nrequire %s v0.0.0-00010101000000-000000000000\n\nreplace %s => %s\n",
		modulePath, modulePath, here)
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "snippets"), 0o755))
	blocks := readmeBlocks(t, "go")
	programs, fragments := 0, 0
	for i, b := range blocks {
		if strings.HasPrefix(b, "package main\n") || strings.Contains(b, "\npackage main\n") {
			pdir := filepath.Join(dir, fmt.Sprintf("program%d", i))
			must(t, os.Mkdir(pdir, 0o755))
			must(t, os.WriteFile(filepath.Join(pdir, "main.go"), []byte(b), 0o644))
			programs++
			continue
		}
		must(t, os.WriteFile(filepath.Join(dir, "snippets", fmt.Sprintf("s%d.go", i)), fragmentFile(t, i, b), 0o644))
		fragments++
	}
	if programs < 2 || fragments < 6 {
		t.Fatalf("found %d programs and %d fragments in the README", programs, fragments)
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		var all strings.Builder
		for i, b := range blocks {
			fmt.Fprintf(&all, "--- block %d:\n%s", i, b)
		}
		t.Fatalf("README snippets do not build: %v\n%s\n%s", err, out, all.String())
	}
}

// The install sequence of the README, run as written in a fresh folder
// (with this checkout for /path/to/liblxd, the README's program as main.go,
// GOFLAGS cleared and no network), ends in the program's output.
func TestReadmeInstallSequence(t *testing.T) {
	var seq string
	for _, b := range readmeBlocks(t, "sh") {
		if strings.Contains(b, "go mod init") {
			seq = b
		}
	}
	if seq == "" {
		t.Fatal("README has no install sequence")
	}
	var program string
	for _, b := range readmeBlocks(t, "go") {
		if strings.Contains(b, "package main") && !strings.Contains(b, "walkthrough") {
			program = b
		}
	}
	const hook = "# save the program below as main.go, then:"
	if program == "" || !strings.Contains(seq, hook) {
		t.Fatal("README has no program for the install sequence, or no place for it")
	}
	repo, err := filepath.Abs("../..")
	must(t, err)
	script := strings.ReplaceAll(seq, "/path/to/liblxd", repo)
	script = strings.Replace(script, hook, "cat > main.go <<'LXDT_EOF'\n"+program+"LXDT_EOF", 1)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install sequence: %v\n%s\n--- script:\n%s", err, out, script)
	}
	if !strings.Contains(string(out), "liblxd ") || !strings.Contains(string(out), "trusted: true") {
		t.Errorf("install sequence output:\n%s", out)
	}
	gomod, err := os.ReadFile(filepath.Join(cmd.Dir, "app", "go.mod"))
	must(t, err)
	if !strings.Contains(string(gomod), "require "+modulePath+" v0.0.0-00010101000000-000000000000") {
		t.Errorf("go.mod after the sequence:\n%s", gomod)
	}
}
