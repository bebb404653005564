// Command genfleet writes a synthetic deployment of -n nodes for the
// 1,000-node audit benchmark (bench/fleet.sh).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tmsdrift/tmsdrift/fixtures/fleet"
)

func main() {
	n := flag.Int("n", 1000, "number of nodes")
	out := flag.String("o", "", "output folder (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genfleet: -o is required")
		os.Exit(2)
	}
	inv, err := fleet.Write(*out, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(1)
	}
	fmt.Println(inv)
}
