// Command genkinds writes kinds_gen.go from liblxd's lxd_kind_info (run by
// `go generate` in bindings/go; needs liblxd through pkg-config).
package main

import (
	"fmt"
	"os"

	"github.com/liblxd/liblxd/bindings/go/internal/kindgen"
)

func main() {
	out := "kinds_gen.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	src, err := kindgen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "genkinds:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genkinds:", err)
		os.Exit(1)
	}
}
