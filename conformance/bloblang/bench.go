package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/warpstreamlabs/bento/public/bloblang"
)

type benchResult struct {
	OpsPerSec    float64 `json:"ops_per_sec"`
	NsPerOp      float64 `json:"ns_per_op"`
	Iterations   int64   `json:"iterations"`
	DurationNs   int64   `json:"duration_ns"`
	AllocsPerOp  float64 `json:"allocs_per_op"`
	BytesPerOp   float64 `json:"bytes_per_op"`
	InputBytes   int     `json:"input_bytes"`
	OutputBytes  int     `json:"output_bytes"`
	OutputSHA256 string  `json:"output_sha256"`
	Deleted      bool    `json:"deleted"`
	Mode         string  `json:"mode"`
	GoVersion    string  `json:"go_version"`
	BentoVersion string  `json:"bento_version"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
}

// benchOnce runs the mapping on a fresh message built from the input bytes
// and returns the output bytes (nil when the message was deleted).
func benchOnce(exec *bloblang.Executor, input []byte, mode string) ([]byte, bool, error) {
	out, err := execute(exec, newMessage(input, nil, ""), mode)
	if err != nil {
		return nil, false, err
	}
	if out == nil {
		return nil, true, nil
	}
	b, err := out.AsBytes()
	return b, false, err
}

func runBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	mappingPath := fs.String("mapping", "", "file holding the Bloblang mapping (required)")
	inputPath := fs.String("input", "", "file holding the input document, used as raw bytes (required)")
	duration := fs.Duration("duration", 3*time.Second, "measured duration")
	warmup := fs.Duration("warmup", 500*time.Millisecond, "unmeasured warm-up duration")
	mode := fs.String("mode", modeMapping, "mapping (BloblangQuery) or mutation (BloblangMutate)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mappingPath == "" || *inputPath == "" {
		return errors.New("-mapping and -input are required")
	}
	if err := validMode(*mode); err != nil {
		return err
	}
	mappingBytes, err := os.ReadFile(*mappingPath)
	if err != nil {
		return err
	}
	input, err := os.ReadFile(*inputPath)
	if err != nil {
		return err
	}
	cleanup, err := setupExampleEnv()
	if err != nil {
		return err
	}
	defer cleanup()

	exec, err := bloblang.GlobalEnvironment().Parse(string(mappingBytes))
	if err != nil {
		return fmt.Errorf("parse error: %w", err)
	}

	// First run: validates the mapping on this input and records the output.
	first, deleted, err := benchOnce(exec, input, *mode)
	if err != nil {
		return fmt.Errorf("mapping failed: %w", err)
	}
	sum := sha256.Sum256(first)

	// Warm-up.
	for start := time.Now(); time.Since(start) < *warmup; {
		if _, _, err := benchOnce(exec, input, *mode); err != nil {
			return fmt.Errorf("mapping failed: %w", err)
		}
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	var iterations int64
	start := time.Now()
	deadline := start.Add(*duration)
	var elapsed time.Duration
	for {
		// Check the clock every 16 iterations to keep its cost negligible.
		for i := 0; i < 16; i++ {
			if _, _, err := benchOnce(exec, input, *mode); err != nil {
				return fmt.Errorf("mapping failed: %w", err)
			}
		}
		iterations += 16
		now := time.Now()
		if !now.Before(deadline) {
			elapsed = now.Sub(start)
			break
		}
	}
	runtime.ReadMemStats(&after)

	res := benchResult{
		OpsPerSec:    float64(iterations) / elapsed.Seconds(),
		NsPerOp:      float64(elapsed.Nanoseconds()) / float64(iterations),
		Iterations:   iterations,
		DurationNs:   elapsed.Nanoseconds(),
		AllocsPerOp:  float64(after.Mallocs-before.Mallocs) / float64(iterations),
		BytesPerOp:   float64(after.TotalAlloc-before.TotalAlloc) / float64(iterations),
		InputBytes:   len(input),
		OutputBytes:  len(first),
		OutputSHA256: hex.EncodeToString(sum[:]),
		Deleted:      deleted,
		Mode:         *mode,
		GoVersion:    runtime.Version(),
		BentoVersion: bentoVersion(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
	}
	return writeJSON(res, false)
}
