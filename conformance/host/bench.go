package main

// Bench mode (-bench): the numbers of a plugin executable as the real host sees them, printed as
// one JSON object on stdout (progress on stderr). bench/plugin/run.ts runs it on our single
// executable and, when it can be built, on the original Go plugin, and prints them side by side.
//
//   - handshake: spawn → the go-plugin handshake line on stdout, the executable started directly
//     with the host's environment (first start, and the median of the next ones);
//   - load: external.ExternalPluginManager.LoadPlugin (spawn, handshake, broker, GetManifest,
//     ConfigureCallback, …), the median over a few fresh managers;
//   - idle RSS of the plugin process, a second after the load;
//   - step.bento round trips, one at a time: through RemoteStep.Execute (what a pipeline pays),
//     the same ExecuteStep as a raw RPC (without the host's Struct conversions and template
//     resolution), and GetManifest (the transport floor: a gRPC round trip to a trivial handler);
//   - DeliverMessage → bento.output (drop, and file), one at a time and with a few in flight.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/GoCodeAlone/workflow/module"
	"github.com/GoCodeAlone/workflow/plugin/external"
	pb "github.com/GoCodeAlone/workflow/plugin/external/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

type benchOptions struct {
	exe, manifest     string
	steps, deliveries int
	handshakes, loads int
	concurrency       int
	stepMapping       string
	verbose           bool
}

// latency is a distribution of round trips in microseconds.
type latency struct {
	N      int     `json:"n"`
	MeanUs float64 `json:"mean_us"`
	P50Us  float64 `json:"p50_us"`
	P90Us  float64 `json:"p90_us"`
	P99Us  float64 `json:"p99_us"`
	MaxUs  float64 `json:"max_us"`
	PerSec float64 `json:"per_sec"`
}

type throughput struct {
	Messages    int     `json:"messages"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	Error       string  `json:"error,omitempty"`
}

type benchResult struct {
	Exe              string                `json:"exe"`
	Manifest         string                `json:"manifest"`
	HandshakeFirstMs float64               `json:"handshake_first_ms"`
	HandshakeMs      float64               `json:"handshake_ms"`
	HandshakeAllMs   []float64             `json:"handshake_all_ms"`
	LoadMs           float64               `json:"load_ms"`
	LoadAllMs        []float64             `json:"load_all_ms"`
	IdleRSSMB        float64               `json:"idle_rss_mb"`
	RSSAfterMB       float64               `json:"rss_after_mb"`
	StepRemote       *latency              `json:"step_remote,omitempty"`
	StepRaw          *latency              `json:"step_raw,omitempty"`
	GetManifestRaw   *latency              `json:"get_manifest_raw,omitempty"`
	Deliver          map[string]throughput `json:"deliver"`
	Errors           []string              `json:"errors"`
}

func (r *benchResult) fail(what string, err error) {
	msg := fmt.Sprintf("%s: %v", what, err)
	fmt.Fprintln(os.Stderr, "bench: "+msg)
	r.Errors = append(r.Errors, msg)
}

func runBench(o benchOptions) int {
	res := &benchResult{Exe: o.exe, Manifest: o.manifest, Deliver: map[string]throughput{}, Errors: []string{}}
	defer func() {
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	}()
	work, err := os.MkdirTemp("", "wfbench")
	if err != nil {
		res.fail("setup", err)
		return 1
	}
	defer os.RemoveAll(work)
	pluginsDir := filepath.Join(work, "plugins")
	pluginPath, err := layoutBenchPlugin(o.exe, o.manifest, pluginsDir)
	if err != nil {
		res.fail("layout", err)
		return 1
	}

	// 1. spawn → handshake line, without the host.
	for i := 0; i < o.handshakes; i++ {
		ms, err := handshakeOnce(pluginPath, work)
		if err != nil {
			res.fail("handshake", err)
			return 1
		}
		res.HandshakeAllMs = append(res.HandshakeAllMs, round3(ms))
	}
	res.HandshakeFirstMs = res.HandshakeAllMs[0]
	res.HandshakeMs = median(res.HandshakeAllMs[min(1, len(res.HandshakeAllMs)-1):])
	fmt.Fprintf(os.Stderr, "bench: handshake first %.1f ms, median %.1f ms\n", res.HandshakeFirstMs, res.HandshakeMs)

	// 2. LoadPlugin through fresh managers; the last one stays loaded for the rest.
	var logSink io.Writer = io.Discard
	if o.verbose {
		logSink = os.Stderr
	}
	logger := log.New(logSink, "[external-plugins] ", log.Lmicroseconds)
	rec := &recorder{}
	var mgr *external.ExternalPluginManager
	var adapter *external.ExternalPluginAdapter
	for i := 0; i < o.loads; i++ {
		if mgr != nil {
			mgr.Shutdown()
		}
		cb := external.NewCallbackServer(rec.trigger, nil, logger)
		cb.SetMessagePublishFunc(rec.publish)
		cb.SetMessageSubscribeFunc(rec.subscribe)
		mgr = external.NewExternalPluginManager(pluginsDir, logger)
		mgr.SetCallbackServer(cb)
		if _, err := mgr.DiscoverPlugins(); err != nil {
			res.fail("discover", err)
			return 1
		}
		start := time.Now()
		adapter, err = mgr.LoadPlugin(pluginDirName)
		if err != nil {
			res.fail("load", err)
			mgr.Shutdown()
			return 1
		}
		res.LoadAllMs = append(res.LoadAllMs, round3(msSince(start)))
	}
	defer mgr.Shutdown()
	res.LoadMs = median(res.LoadAllMs)
	fmt.Fprintf(os.Stderr, "bench: LoadPlugin median %.1f ms (%v)\n", res.LoadMs, res.LoadAllMs)

	// 3. idle RSS.
	time.Sleep(time.Second)
	pid, pidErr := pidOfExe(pluginPath)
	if pidErr == nil {
		res.IdleRSSMB = round3(rssMB(pid))
		fmt.Fprintf(os.Stderr, "bench: idle RSS %.1f MiB\n", res.IdleRSSMB)
	} else {
		res.fail("pid", pidErr)
	}

	ctx := context.Background()
	client := pb.NewPluginServiceClient(adapter.Conn())

	// 4. step.bento round trips.
	stepCfg := map[string]any{"processors": "mapping: '" + o.stepMapping + "'"}
	input := func() map[string]any { return map[string]any{"input": "hello", "id": 42} }
	if factory := adapter.StepFactories()["step.bento"]; factory == nil {
		res.fail("step.bento", errors.New("no step.bento factory"))
	} else if raw, err := factory("bench", stepCfg, nil); err != nil {
		res.fail("step.bento create", err)
	} else if step, ok := raw.(module.PipelineStep); !ok {
		res.fail("step.bento", fmt.Errorf("step is %T", raw))
	} else {
		lat, err := measure(o.steps, func() error {
			out, err := step.Execute(ctx, module.NewPipelineContext(input(), nil))
			// typed (STRICT_PROTO) output: ProcessorStepOutput{result}
			if result, _ := out.Output["result"].(map[string]any); err == nil && result["output"] != "HELLO" {
				err = fmt.Errorf("output %v", out.Output)
			}
			return err
		})
		if err != nil {
			res.fail("step.bento RemoteStep.Execute", err)
		}
		res.StepRemote = lat
		fmt.Fprintf(os.Stderr, "bench: step RemoteStep p50 %.0f µs p99 %.0f µs\n", lat.P50Us, lat.P99Us)
	}

	if cfg, err := structpb.NewStruct(stepCfg); err != nil {
		res.fail("step config", err)
	} else if created, err := client.CreateStep(ctx, &pb.CreateStepRequest{Type: "step.bento", Name: "bench-raw", Config: cfg}); err != nil || created.Error != "" {
		res.fail("raw CreateStep", fmt.Errorf("%v %s", err, created.GetError()))
	} else {
		current, _ := structpb.NewStruct(input())
		req := &pb.ExecuteStepRequest{HandleId: created.HandleId, Current: current, TriggerData: current, Config: cfg}
		lat, err := measure(o.steps, func() error {
			resp, err := client.ExecuteStep(ctx, req)
			if err == nil && resp.Error != "" {
				err = errors.New(resp.Error)
			}
			return err
		})
		if err != nil {
			res.fail("raw ExecuteStep", err)
		}
		res.StepRaw = lat
		fmt.Fprintf(os.Stderr, "bench: step raw ExecuteStep p50 %.0f µs p99 %.0f µs\n", lat.P50Us, lat.P99Us)
		_, _ = client.DestroyStep(ctx, &pb.HandleRequest{HandleId: created.HandleId})
	}

	lat, err := measure(o.steps, func() error {
		_, err := client.GetManifest(ctx, &emptypb.Empty{})
		return err
	})
	if err != nil {
		res.fail("raw GetManifest", err)
	}
	res.GetManifestRaw = lat
	fmt.Fprintf(os.Stderr, "bench: GetManifest p50 %.0f µs p99 %.0f µs\n", lat.P50Us, lat.P99Us)

	// 5. DeliverMessage → bento.output.
	outputs := map[string]map[string]any{
		"drop": {"drop": map[string]any{}},
		"file": {"file": map[string]any{"path": filepath.Join(work, "delivered.jsonl"), "codec": "lines"}},
	}
	for _, name := range []string{"drop", "file"} {
		for _, conc := range []int{1, o.concurrency} {
			key := fmt.Sprintf("%s_c%d", name, conc)
			t := deliverBench(ctx, client, key, outputs[name], o.deliveries, conc)
			res.Deliver[key] = t
			if t.Error != "" {
				res.fail("deliver "+key, errors.New(t.Error))
			} else {
				fmt.Fprintf(os.Stderr, "bench: deliver %s %.0f msgs/s\n", key, t.MsgsPerSec)
			}
		}
	}
	if pidErr == nil {
		res.RSSAfterMB = round3(rssMB(pid))
	}
	if len(res.Errors) > 0 {
		return 1
	}
	return 0
}

func deliverBench(ctx context.Context, client pb.PluginServiceClient, name string, output map[string]any, n, conc int) throughput {
	t := throughput{Messages: n, Concurrency: conc}
	topic := "bench-" + name
	cfg, err := structpb.NewStruct(map[string]any{"source_topic": topic, "output": output})
	if err != nil {
		t.Error = err.Error()
		return t
	}
	created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.output", Name: topic, Config: cfg})
	if err != nil || created.Error != "" {
		t.Error = fmt.Sprintf("create: %v %s", err, created.GetError())
		return t
	}
	handle := &pb.HandleRequest{HandleId: created.HandleId}
	defer client.DestroyModule(ctx, handle)
	if resp, err := client.InitModule(ctx, handle); err != nil || resp.Error != "" {
		t.Error = fmt.Sprintf("init: %v %s", err, resp.GetError())
		return t
	}
	if resp, err := client.StartModule(ctx, handle); err != nil || resp.Error != "" {
		t.Error = fmt.Sprintf("start: %v %s", err, resp.GetError())
		return t
	}
	deliver := func(i int) error {
		resp, err := client.DeliverMessage(ctx, &pb.DeliverMessageRequest{
			HandleId: created.HandleId, Topic: topic, MessageId: fmt.Sprint(i),
			Payload:  []byte(fmt.Sprintf(`{"id":%d,"name":"item","price":12.5,"tags":["a","b"]}`, i)),
			Metadata: map[string]string{"source": "bench"},
		})
		if err != nil {
			return err
		}
		if !resp.Acknowledged {
			return fmt.Errorf("not acknowledged: %s", resp.Error)
		}
		return nil
	}
	for i := 0; i < min(200, n); i++ { // warm up
		if err := deliver(-i); err != nil {
			t.Error = err.Error()
			return t
		}
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if err := deliver(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Seconds = round3(time.Since(start).Seconds())
	if firstErr != nil {
		t.Error = firstErr.Error()
		return t
	}
	t.MsgsPerSec = math.Round(float64(n) / time.Since(start).Seconds())
	return t
}

// measure runs fn n times one after the other (after n/20 warm-up calls, at least 200) and
// returns the distribution of its durations.
func measure(n int, fn func() error) (*latency, error) {
	for i := 0; i < max(200, n/20); i++ {
		if err := fn(); err != nil {
			return &latency{}, err
		}
	}
	samples := make([]float64, 0, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := fn(); err != nil {
			return &latency{}, err
		}
		samples = append(samples, float64(time.Since(t).Nanoseconds())/1000)
	}
	total := time.Since(start)
	sort.Float64s(samples)
	sum := 0.0
	for _, s := range samples {
		sum += s
	}
	pct := func(p float64) float64 { return round3(samples[int(math.Ceil(p*float64(n)))-1]) }
	return &latency{
		N: n, MeanUs: round3(sum / float64(n)), P50Us: pct(0.50), P90Us: pct(0.90), P99Us: pct(0.99),
		MaxUs: round3(samples[n-1]), PerSec: math.Round(float64(n) / total.Seconds()),
	}, nil
}

// handshakeOnce starts the executable as go-plugin does (cookie, versions, port range, socket
// dir) and times the first line on its stdout; then asks it to stop (SIGTERM) and reaps it.
func handshakeOnce(path, work string) (float64, error) {
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(),
		"WORKFLOW_PLUGIN=workflow-external-plugin-v1",
		"PLUGIN_PROTOCOL_VERSIONS=1",
		"PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000",
		"PLUGIN_UNIX_SOCKET_DIR="+work,
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	line := make(chan string, 1)
	go func() {
		buf := make([]byte, 0, 256)
		one := make([]byte, 1)
		for {
			n, err := stdout.Read(one)
			if n == 1 {
				if one[0] == '\n' {
					break
				}
				buf = append(buf, one[0])
			}
			if err != nil {
				break
			}
		}
		line <- string(buf)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var ms float64
	select {
	case l := <-line:
		ms = msSince(start)
		if !strings.HasPrefix(l, "1|1|") {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return 0, fmt.Errorf("handshake line %q", l)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, errors.New("no handshake line within 10 s")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	return ms, nil
}

// layoutBenchPlugin lays out <plugins>/workflow-plugin-bento/ with the given plugin.json and a
// copy (or hard link) of the executable; returns the executable's path there.
func layoutBenchPlugin(exe, manifest, pluginsDir string) (string, error) {
	dir := filepath.Join(pluginsDir, pluginDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	m, err := os.ReadFile(manifest)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.json"), m, 0o644); err != nil {
		return "", err
	}
	if _, err := os.Stat(exe); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, pluginDirName)
	if err := os.Link(exe, dst); err != nil {
		in, err := os.ReadFile(exe)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, in, 0o755); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return round3((s[len(s)/2-1] + s[len(s)/2]) / 2)
}
