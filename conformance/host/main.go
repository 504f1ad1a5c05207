// workflow-host-harness loads workflow-plugin-bento (bento-ts) into the real GoCodeAlone/workflow
// plugin host — external.ExternalPluginManager with a CallbackServer, the same code path the
// workflow server uses — and checks what the host sees: discovery, handshake, manifest, schemas,
// step.bento through RemoteStep, bento.stream through RemoteModule, and a graceful Shutdown.
//
// It prints one line per check and, last, a JSON summary on stdout; exit status 1 when any check
// failed. Usage:
//
//	workflow-host-harness -repo /path/to/bento-ts [-node /path/to/node] [-json]
//	workflow-host-harness -bench [-exe plugin] [-manifest plugin.json] [-steps 10000] …  (bench.go)
//	workflow-host-harness -installed <plugins dir> [-config app.yaml -pipeline p -input '{…}'] …  (installed.go)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/GoCodeAlone/workflow/module"
	"github.com/GoCodeAlone/workflow/plugin"
	"github.com/GoCodeAlone/workflow/plugin/external"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
)

const pluginDirName = "workflow-plugin-bento"

type check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Ms    int64  `json:"ms"`
}

type summary struct {
	OK      bool               `json:"ok"`
	Checks  []check            `json:"checks"`
	Timings map[string]float64 `json:"timings"`
	Notes   []string           `json:"notes"`
}

type harness struct {
	sum summary
}

func (h *harness) run(name string, fn func() error) bool {
	start := time.Now()
	err := fn()
	c := check{Name: name, OK: err == nil, Ms: time.Since(start).Milliseconds()}
	if err != nil {
		c.Error = err.Error()
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", name, err)
	} else {
		fmt.Fprintf(os.Stderr, "ok   %s (%d ms)\n", name, c.Ms)
	}
	h.sum.Checks = append(h.sum.Checks, c)
	return err == nil
}

// lockedBuffer collects the host log (plugin stderr lines are forwarded into it).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	os.Stderr.Write(p)
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func main() {
	repo := flag.String("repo", ".", "the bento-ts repository root")
	exe := flag.String("exe", "", "the single executable (default <repo>/apps/plugin/dist/exe/workflow-plugin-bento)")
	node := flag.String("node", "", "fallback: run apps/plugin/src/main.ts on this Node 24 through a shell shim instead of the single executable")
	descriptors := flag.Bool("descriptors", false,
		"print the host's wire contracts (FileDescriptorProtos as protojson, one per line) and exit")
	bench := flag.Bool("bench", false, "bench mode (bench.go): time the plugin executable -exe in the host, JSON on stdout")
	manifest := flag.String("manifest", "", "bench: the plugin.json to install beside -exe (default <repo>/apps/plugin/plugin.json)")
	steps := flag.Int("steps", 10000, "bench: step.bento round trips per measurement")
	deliveries := flag.Int("deliveries", 10000, "bench: DeliverMessage calls per bento.output measurement")
	handshakes := flag.Int("handshakes", 6, "bench: spawns timed to the handshake line")
	loads := flag.Int("loads", 3, "bench: LoadPlugin calls (fresh managers)")
	concurrency := flag.Int("concurrency", 8, "bench: DeliverMessage calls in flight, besides one at a time")
	mapping := flag.String("mapping", "root.output = this.input.uppercase()", "bench: the step.bento mapping (must give output HELLO for input hello)")
	verbose := flag.Bool("v", false, "bench: the host log on stderr")
	installed := flag.String("installed", "", "installed mode (installed.go): load every plugin in this plugins dir into the engine")
	appConfig := flag.String("config", "", "installed: the app config to build the engine from and start")
	pipeline := flag.String("pipeline", "", "installed: the pipeline to trigger once started")
	input := flag.String("input", "{}", "installed: the pipeline's input, JSON")
	waitFile := flag.String("wait-file", "", "installed: a file a module writes, waited for before stopping")
	waitLines := flag.Int("wait-lines", 1, "installed: lines -wait-file must hold")
	flag.Parse()
	if *installed != "" {
		os.Exit(runInstalled(*installed, *appConfig, *pipeline, *input, *waitFile, *waitLines))
	}
	if *descriptors {
		os.Exit(dumpDescriptors())
	}
	if *bench {
		root, _ := filepath.Abs(*repo)
		o := benchOptions{
			exe: *exe, manifest: *manifest, steps: *steps, deliveries: *deliveries, handshakes: *handshakes,
			loads: *loads, concurrency: *concurrency, stepMapping: *mapping, verbose: *verbose,
		}
		if o.exe == "" {
			o.exe = filepath.Join(root, "apps", "plugin", "dist", "exe", pluginDirName)
		}
		if o.manifest == "" {
			o.manifest = filepath.Join(root, "apps", "plugin", "plugin.json")
		}
		os.Exit(runBench(o))
	}
	os.Exit(runAll(*repo, *exe, *node))
}

func runAll(repoArg, exeArg, nodeArg string) int {
	h := &harness{sum: summary{Timings: map[string]float64{}, Notes: []string{}}}
	defer func() {
		h.sum.OK = true
		for _, c := range h.sum.Checks {
			h.sum.OK = h.sum.OK && c.OK
		}
		out, _ := json.Marshal(h.sum)
		fmt.Println(string(out))
	}()

	repo, err := filepath.Abs(repoArg)
	if err != nil {
		h.run("setup", func() error { return err })
		return 1
	}
	exe := exeArg
	if exe == "" && nodeArg == "" {
		exe = filepath.Join(repo, "apps", "plugin", "dist", "exe", pluginDirName)
	}
	work, err := os.MkdirTemp("", "wfhost")
	if err != nil {
		h.run("setup", func() error { return err })
		return 1
	}
	defer os.RemoveAll(work)
	pidFile := filepath.Join(work, "plugin.pid")
	pluginsDir := filepath.Join(work, "plugins")

	var pluginPath string
	if !h.run("layout plugin dir", func() error {
		var err error
		if nodeArg != "" {
			err = layoutShim(repo, nodeArg, pluginsDir, pidFile)
			h.sum.Notes = append(h.sum.Notes, "plugin run through the node shim (-node), not the single executable")
		} else {
			pluginPath, err = layoutExe(repo, exe, pluginsDir)
		}
		return err
	}) {
		return 1
	}
	// The plugin's pid: the shim writes it; the single executable is found by its path in /proc.
	pluginPid := func() (int, error) {
		if pluginPath == "" {
			return readPid(pidFile)
		}
		return pidOfExe(pluginPath)
	}

	hostLog := &lockedBuffer{}
	logger := log.New(hostLog, "[external-plugins] ", log.Lmicroseconds)
	rec := &recorder{}
	cb := external.NewCallbackServer(rec.trigger, nil, logger)
	// Stock hosts leave these unset; installing them is the only way to see bento.input publish
	// and to let bento.output subscribe (protocol §6.3 step 3).
	cb.SetMessagePublishFunc(rec.publish)
	cb.SetMessageSubscribeFunc(rec.subscribe)
	mgr := external.NewExternalPluginManager(pluginsDir, logger)
	mgr.SetCallbackServer(cb)
	shutDown := false
	defer func() {
		if !shutDown {
			mgr.Shutdown()
		}
	}()

	var adapter *external.ExternalPluginAdapter
	h.run("discover", func() error {
		names, err := mgr.DiscoverPlugins()
		if err != nil {
			return err
		}
		if len(names) != 1 || names[0] != pluginDirName {
			return fmt.Errorf("discovered %v, want [%s]", names, pluginDirName)
		}
		return nil
	})
	if !h.run("load (handshake, manifest, ConfigureCallback)", func() error {
		start := time.Now()
		a, err := mgr.LoadPlugin(pluginDirName)
		h.sum.Timings["load_ms"] = float64(time.Since(start).Microseconds()) / 1000
		adapter = a
		return err
	}) {
		return 1
	}
	if pid, err := pluginPid(); err == nil {
		h.sum.Timings["plugin_rss_after_load_mb"] = rssMB(pid)
	}

	h.run("manifest", func() error {
		if adapter.Name() != "bento" {
			return fmt.Errorf("name %q, want bento", adapter.Name())
		}
		m := adapter.EngineManifest()
		if err := m.Validate(); err != nil {
			return fmt.Errorf("engine manifest invalid: %w", err)
		}
		if !equalSets(m.ModuleTypes, []string{"bento.stream", "bento.input", "bento.output", "bento.broker"}) {
			return fmt.Errorf("module types %v", m.ModuleTypes)
		}
		if !equalSets(m.StepTypes, []string{"step.bento"}) || !equalSets(m.TriggerTypes, []string{"bento"}) {
			return fmt.Errorf("step types %v, trigger types %v", m.StepTypes, m.TriggerTypes)
		}
		if err := contractsCheck(adapter); err != nil {
			return err
		}
		// Trigger factories exist only when ConfigureCallback succeeded.
		if adapter.TriggerFactories() == nil {
			return errors.New("no trigger factories: ConfigureCallback failed (see the host log)")
		}
		return nil
	})
	h.run("schemas", func() error {
		schemas := adapter.ModuleSchemas()
		if len(schemas) != 5 {
			return fmt.Errorf("%d module schemas, want 5", len(schemas))
		}
		for _, s := range schemas {
			if s.Label == "" || s.Category == "" || s.Description == "" || len(s.ConfigFields) == 0 {
				return fmt.Errorf("schema %s is incomplete: %+v", s.Type, s)
			}
		}
		return nil
	})

	ctx := context.Background()
	steps := adapter.StepFactories()
	newStep := func(name string, cfg map[string]any) (module.PipelineStep, error) {
		factory := steps["step.bento"]
		if factory == nil {
			return nil, errors.New("no step.bento factory")
		}
		raw, err := factory(name, cfg, nil)
		if err != nil {
			return nil, err
		}
		step, ok := raw.(module.PipelineStep)
		if !ok {
			return nil, fmt.Errorf("step is %T, not a PipelineStep", raw)
		}
		return step, nil
	}
	execute := func(step module.PipelineStep, data map[string]any) (map[string]any, error) {
		pc := module.NewPipelineContext(data, nil)
		res, err := step.Execute(ctx, pc)
		if err != nil {
			return nil, err
		}
		return res.Output, nil
	}
	stepCase := func(name string, cfg map[string]any, in map[string]any, want map[string]any) {
		h.run(name, func() error {
			step, err := newStep(name, cfg)
			if err != nil {
				return err
			}
			got, err := execute(step, in)
			if err != nil {
				return err
			}
			if !jsonEqual(got, want) {
				return fmt.Errorf("output %s, want %s", toJSON(got), toJSON(want))
			}
			return nil
		})
	}
	stepCase("step.bento: processors as a string",
		map[string]any{"processors": "mapping: 'root.output = this.input.uppercase()'", "_config_dir": work},
		map[string]any{"input": "hello"}, strict(map[string]any{"output": "HELLO"}))
	stepCase("step.bento: processors as a map",
		map[string]any{"processors": map[string]any{"mapping": "root = this\nroot.computed = this.a + this.b"}},
		map[string]any{"a": 5, "b": 3}, strict(map[string]any{"a": 5, "b": 3, "computed": 8}))
	stepCase("step.bento: processors as a list",
		map[string]any{"processors": []any{
			map[string]any{"mapping": "root.step1 = this.input.uppercase()"},
			map[string]any{"mapping": `root.step2 = this.step1 + " PROCESSED"`},
		}},
		map[string]any{"input": "hello"}, strict(map[string]any{"step2": "HELLO PROCESSED"}))
	stepCase("step.bento: non-object result",
		map[string]any{"processors": `mapping: 'root = "plain text output"'`},
		map[string]any{}, strict(map[string]any{"output": "plain text output"}))
	h.run("step.bento: a legacy (Struct) call still gives the flat output", func() error {
		return legacyStepCheck(ctx, adapter)
	})
	h.run("step.bento: a dropped message gives {} promptly", func() error {
		step, err := newStep("drop", map[string]any{"processors": "mapping: 'root = deleted()'"})
		if err != nil {
			return err
		}
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		res, err := step.Execute(c, module.NewPipelineContext(map[string]any{"x": 1}, nil))
		if err != nil {
			return err
		}
		if !jsonEqual(res.Output, strict(map[string]any{})) {
			return fmt.Errorf("output %s, want {\"result\": {}}", toJSON(res.Output))
		}
		return nil
	})
	h.run("step.bento: a bad config is rejected at creation, naming step and field", func() error {
		_, err := newStep("broken", map[string]any{"processors": "mapping: 'root = this.'"})
		if err == nil {
			return errors.New("no error")
		}
		for _, want := range []string{`step.bento "broken"`, "processors.0"} {
			if !strings.Contains(err.Error(), want) {
				return fmt.Errorf("error %q does not mention %q", err, want)
			}
		}
		_, err = newStep("wrong-type", map[string]any{"processors": 123})
		if err == nil || !strings.Contains(err.Error(), `step.bento "wrong-type": processors`) {
			return fmt.Errorf("processors: 123 gave %v", err)
		}
		return nil
	})
	h.run("step.bento: a failing processor is an execute error", func() error {
		step, err := newStep("fails", map[string]any{"processors": `mapping: 'root = throw("boom")'`})
		if err != nil {
			return err
		}
		_, err = execute(step, map[string]any{"x": 1})
		if err == nil || !strings.Contains(err.Error(), `step.bento "fails"`) || !strings.Contains(err.Error(), "boom") {
			return fmt.Errorf("got %v, want an error naming the step and saying boom", err)
		}
		return nil
	})
	h.run("step.bento: round trip timing", func() error {
		step, err := newStep("timing", map[string]any{"processors": "mapping: 'root.output = this.input.uppercase()'"})
		if err != nil {
			return err
		}
		const n = 500
		for i := 0; i < 20; i++ { // warm up the JIT
			if _, err := execute(step, map[string]any{"input": "warm"}); err != nil {
				return err
			}
		}
		start := time.Now()
		for i := 0; i < n; i++ {
			if _, err := execute(step, map[string]any{"input": "hello"}); err != nil {
				return err
			}
		}
		h.sum.Timings["step_round_trip_us"] = float64(time.Since(start).Microseconds()) / n
		return nil
	})

	modules := adapter.ModuleFactories()
	h.run("bento.stream: generate → mapping → output, start and stop", func() error {
		return streamCheck(h, ctx, modules, work)
	})
	h.run("bento.stream: Stop before Start returns at once", func() error {
		mod := modules["bento.stream"]("never-started", map[string]any{
			"input":  map[string]any{"generate": map[string]any{"mapping": "root = {}", "count": 1}},
			"output": map[string]any{"drop": map[string]any{}},
		})
		if err := external.AsModuleError(mod); err != nil {
			return err
		}
		stopper := mod.(interface{ Stop(context.Context) error })
		start := time.Now()
		if err := stopper.Stop(ctx); err != nil {
			return err
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			return fmt.Errorf("Stop took %s", d)
		}
		return nil
	})
	h.run("bento.stream: an unknown input is an Init error naming the module", func() error {
		mod := modules["bento.stream"]("bad-input", map[string]any{
			"input":  map[string]any{"no_such_input": map[string]any{}},
			"output": map[string]any{"drop": map[string]any{}},
		})
		err := mod.Init(nil)
		if err == nil || !strings.Contains(err.Error(), `bento.stream "bad-input"`) || !strings.Contains(err.Error(), "no_such_input") {
			return fmt.Errorf("got %v", err)
		}
		return nil
	})

	messagingChecks(h, ctx, adapter, modules, rec, work)
	bridgeChecks(h, ctx, adapter, rec, work)
	h.run("full engine: an inline bento trigger runs its pipeline (step.bento) per message", func() error {
		return engineCheck(h, ctx, adapter, rec, hostLog)
	})

	h.run("shutdown within 2 s, no SIGKILL", func() error {
		pid, err := pluginPid()
		if err != nil {
			return err
		}
		h.sum.Timings["plugin_rss_after_checks_mb"] = rssMB(pid)
		start := time.Now()
		mgr.Shutdown()
		shutDown = true
		d := time.Since(start)
		h.sum.Timings["shutdown_ms"] = float64(d.Microseconds()) / 1000
		// go-plugin waits 2 s for the process to exit before it kills it.
		if d >= 2*time.Second {
			return fmt.Errorf("shutdown took %s: the plugin was killed", d)
		}
		if strings.Contains(hostLog.String(), "plugin failed to exit gracefully") {
			return errors.New("host reports the plugin failed to exit gracefully")
		}
		if err := syscall.Kill(pid, 0); err == nil {
			return fmt.Errorf("plugin process %d still alive after shutdown", pid)
		}
		return nil
	})
	for _, c := range h.sum.Checks {
		if !c.OK {
			return 1
		}
	}
	return 0
}

// streamCheck runs generate → mapping → file when bento-ts has the file output, else → drop
// (the file output is a later standard component; until then only start/stop is observable).
func streamCheck(h *harness, ctx context.Context, modules map[string]plugin.ModuleFactory, work string) error {
	factory := modules["bento.stream"]
	if factory == nil {
		return errors.New("no bento.stream factory")
	}
	outPath := filepath.Join(work, "stream-out.jsonl")
	config := func(output map[string]any) map[string]any {
		return map[string]any{
			"_config_dir": work, // the engine injects it into every module config loaded from a file
			"input": map[string]any{"generate": map[string]any{
				"mapping": `root = {"n": counter()}`, "count": 3, "interval": "10ms",
			}},
			"pipeline": map[string]any{"processors": []any{
				map[string]any{"mapping": `root.doubled = this.n * 2`},
			}},
			"output": output,
		}
	}
	useFile := true
	mod := factory("s1", config(map[string]any{"file": map[string]any{"path": outPath, "codec": "lines"}}))
	if err := external.AsModuleError(mod); err != nil {
		return err
	}
	if err := mod.Init(nil); err != nil {
		if !strings.Contains(err.Error(), "file") {
			return err
		}
		useFile = false
		h.sum.Notes = append(h.sum.Notes, "bento.stream: no file output in bento-ts yet, checked with drop: "+err.Error())
		mod = factory("s1-drop", config(map[string]any{"drop": map[string]any{}}))
		if err := mod.Init(nil); err != nil {
			return err
		}
	}
	lifecycle := mod.(interface {
		Start(context.Context) error
		Stop(context.Context) error
	})
	if err := lifecycle.Start(ctx); err != nil {
		return err
	}
	if useFile {
		deadline := time.Now().Add(5 * time.Second)
		want := "{\"doubled\":2}\n{\"doubled\":4}\n{\"doubled\":6}\n"
		for {
			got, _ := os.ReadFile(outPath)
			if string(got) == want {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("file output %q, want %q", got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	} else {
		time.Sleep(200 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return lifecycle.Stop(stopCtx)
}

// contractFiles are the .proto files, as compiled into the host, that bento-ts reproduces in proto/.
var contractFiles = []string{
	"plugin.proto",                      // workflow.plugin.v1 (GoCodeAlone/workflow)
	"internal/plugin/grpc_broker.proto", // go-plugin internals (GoCodeAlone/go-plugin)
	"internal/plugin/grpc_controller.proto",
	"internal/plugin/grpc_stdio.proto",
	"grpc/health/v1/health.proto",
}

func dumpDescriptors() int {
	for _, path := range contractFiles {
		fd, err := protoregistry.GlobalFiles.FindFileByPath(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			return 1
		}
		out, err := protojson.Marshal(protodesc.ToFileDescriptorProto(fd))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			return 1
		}
		fmt.Println(string(out))
	}
	return 0
}

// writeManifest makes <plugins>/workflow-plugin-bento/ with apps/plugin/plugin.json in it.
func writeManifest(repo, pluginsDir string) (string, error) {
	dir := filepath.Join(pluginsDir, pluginDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	manifest, err := os.ReadFile(filepath.Join(repo, "apps", "plugin", "plugin.json"))
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "plugin.json"), manifest, 0o644)
}

// layoutExe installs the single executable as `pnpm install:plugin` does: plugin.json and the
// executable itself (hard-linked when possible, else copied) in <plugins>/workflow-plugin-bento/.
func layoutExe(repo, exe, pluginsDir string) (string, error) {
	dir, err := writeManifest(repo, pluginsDir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Errorf("single executable: %w (build it: pnpm --filter @bento-ts/plugin build:exe)", err)
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

// pidOfExe finds the process running the executable at path (Linux /proc).
func pidOfExe(path string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && target == path {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process runs %s", path)
}

// rssMB is a process's resident set size in MiB (0 when unknown).
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// layoutShim is the fallback (-node): plugin.json and a shell shim that records its pid and execs
// Node on apps/plugin/src/main.ts, for running the plugin from source without building it.
func layoutShim(repo, node, pluginsDir, pidFile string) error {
	dir, err := writeManifest(repo, pluginsDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(node); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	main := filepath.Join(repo, "apps", "plugin", "src", "main.ts")
	shim := fmt.Sprintf("#!/bin/sh\necho $$ > %s\nexec %s %s \"$@\"\n",
		shellQuote(pidFile), shellQuote(node), shellQuote(main))
	return os.WriteFile(filepath.Join(dir, pluginDirName), []byte(shim), 0o755)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("plugin pid file: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonEqual compares through JSON, so 8 and 8.0 (Struct numbers are doubles) are equal.
func jsonEqual(a, b any) bool {
	var x, y any
	_ = json.Unmarshal([]byte(toJSON(a)), &x)
	_ = json.Unmarshal([]byte(toJSON(b)), &y)
	return toJSON(x) == toJSON(y)
}
