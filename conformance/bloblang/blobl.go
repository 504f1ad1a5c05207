package main

import (
	"context"
	"os"

	"github.com/warpstreamlabs/bento/public/service"
)

// runBlobl hands over to Bento's own CLI with the `blobl` command, so the
// behaviour (flags, output formatting, error lines, `blobl server`) is exactly
// that of `bento blobl` for the functions and methods linked into this binary.
func runBlobl(args []string) {
	os.Args = append([]string{os.Args[0], "blobl"}, args...)
	service.RunCLI(context.Background(),
		service.CLIOptSetBinaryName("bloblang-oracle"),
		service.CLIOptSetVersion(bentoVersion(), ""),
	)
}
