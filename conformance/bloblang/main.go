// Command bloblang-oracle is the Bloblang reference oracle of bento-ts.
//
// It links the Bloblang engine of Bento (github.com/warpstreamlabs/bento, the
// version pinned in go.mod) together with every component package that
// registers Bloblang functions or methods, and exposes it through a handful of
// subcommands that the TypeScript conformance and benchmark harnesses drive:
//
//	examples  print every documented example of every function/method (JSON)
//	catalog   print every registered function/method with its params (JSON)
//	verify    run the documented examples the way Bento's own tests do
//	eval      evaluate JSON Lines cases read from stdin, one result line each
//	bench     time one mapping on one document, bytes in -> bytes out
//	blobl     Bento's own `bento blobl` command (including `blobl server`)
//
// See README.md for the input and output formats.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	// The public Bloblang API plus every component package that registers
	// Bloblang functions or methods in Bento's global environment. The core
	// functions/methods live in internal/bloblang/query and are always linked
	// through public/bloblang; the plugins come from internal/impl/{pure, io,
	// crypto, maxmind, changelog} and, via pure/extended, from
	// internal/impl/{jsonpath, lang, msgpack, parquet, xml}.
	_ "github.com/warpstreamlabs/bento/public/components/changelog"
	_ "github.com/warpstreamlabs/bento/public/components/crypto"
	_ "github.com/warpstreamlabs/bento/public/components/io"
	_ "github.com/warpstreamlabs/bento/public/components/maxmind"
	_ "github.com/warpstreamlabs/bento/public/components/pure"
	_ "github.com/warpstreamlabs/bento/public/components/pure/extended"
)

const bentoModule = "github.com/warpstreamlabs/bento"

func usage() {
	fmt.Fprintf(os.Stderr, `bloblang-oracle: Bloblang reference oracle (Bento %s)

usage:
  bloblang-oracle examples [-pretty]                 documented examples as a JSON array
  bloblang-oracle catalog [-pretty]                  registered functions/methods as a JSON array
  bloblang-oracle verify [-v]                        run the documented examples like Bento's tests
  bloblang-oracle eval [-j N] [-timeout D]           JSON Lines cases on stdin -> JSON Lines results
  bloblang-oracle bench -mapping F -input F [-duration 3s] [-warmup 500ms] [-mode mapping|mutation]
  bloblang-oracle blobl [bento blobl flags] [mapping] Bento's own 'blobl' command
  bloblang-oracle version                            print the Bento version linked in
`, bentoVersion())
}

// bentoVersion reports the version of the Bento module linked into the binary.
func bentoVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == bentoModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}

	// Bento's example tests install the W3C trace-context propagator before
	// running the tracing examples; tracing_span() serialises the span with the
	// global propagator, so install it once for every subcommand.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}))

	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "examples":
		err = runExamples(args)
	case "catalog":
		err = runCatalog(args)
	case "verify":
		err = runVerify(args)
	case "eval":
		err = runEval(args)
	case "bench":
		err = runBench(args)
	case "blobl":
		runBlobl(args)
	case "version":
		fmt.Println(bentoVersion())
	case "-h", "-help", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "unknown subcommand %q\n\n", cmd)
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bloblang-oracle %s: %v\n", cmd, err)
		os.Exit(1)
	}
}
