// Command bento-lite is Bento v1.20.0's own CLI with only the standard components linked: the pure
// processors, caches, rate limits and brokers (public/components/pure) and the local I/O (stdin,
// stdout, file, …; public/components/io). It behaves exactly like the `bento` binary for every
// config that uses those components (`bento-lite -c config.yaml`, `bento-lite lint`, `bento-lite
// list`), and builds in a fraction of the time, because none of the connector trees are compiled.
//
// It is the side-by-side reference of the bento-ts stream runtime (packages/core/test) and its
// benchmark (bench/stream). Add a component package here only when a compared config needs it.
package main

import (
	"context"

	"github.com/warpstreamlabs/bento/public/service"

	_ "github.com/warpstreamlabs/bento/public/components/io"
	_ "github.com/warpstreamlabs/bento/public/components/pure"
)

func main() {
	service.RunCLI(context.Background())
}
