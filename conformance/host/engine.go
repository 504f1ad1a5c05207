package main

// The full-engine variant (protocol §6.3 step 8): the workflow engine with its default plugins and
// this plugin, a YAML config with a pipeline whose inline trigger is `bento`, and the host's
// trigger func forwarding to engine.TriggerWorkflow, as cmd/server wires it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/GoCodeAlone/modular"
	"github.com/GoCodeAlone/workflow"
	"github.com/GoCodeAlone/workflow/config"
	"github.com/GoCodeAlone/workflow/module"
	"github.com/GoCodeAlone/workflow/plugin/external"
	allplugins "github.com/GoCodeAlone/workflow/plugins/all"
)

const engineYAML = `
pipelines:
  ingest:
    trigger:
      type: bento
      config:
        subscriptions:
          - input:
              generate:
                mapping: 'root = {"n": counter()}'
                count: 2
                interval: ""
            workflow: ingest
            action: process
    steps:
      - name: check
        type: step.bento
        config:
          processors: |
            mapping: 'root = if this.body.n == null { throw("no body in the trigger data") } else { {"seen": this.body.n} }'
`

func engineCheck(h *harness, ctx context.Context, adapter *external.ExternalPluginAdapter, rec *recorder, verbose io.Writer) error {
	logger := slog.New(slog.NewTextHandler(verbose, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := modular.NewStdApplication(nil, logger)
	eng := workflow.NewStdEngine(app, logger)
	for _, p := range allplugins.DefaultPlugins() {
		if err := eng.LoadPlugin(p); err != nil {
			return fmt.Errorf("load %s: %w", p.Name(), err)
		}
	}
	if err := eng.LoadPlugin(adapter); err != nil {
		return fmt.Errorf("load the bento plugin into the engine: %w", err)
	}

	var mu sync.Mutex
	var results []map[string]any
	var failures []error
	rec.mu.Lock()
	rec.onTrigger = func(triggerType, action string, data map[string]any) error {
		holder := &module.PipelineResultHolder{}
		c := context.WithValue(ctx, module.PipelineResultContextKey, holder)
		err := eng.TriggerWorkflow(c, triggerType, action, data)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failures = append(failures, err)
		} else {
			results = append(results, holder.Get())
		}
		return err
	}
	rec.mu.Unlock()
	defer func() {
		rec.mu.Lock()
		rec.onTrigger = nil
		rec.mu.Unlock()
	}()

	cfg, err := config.LoadFromString(engineYAML)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := eng.BuildFromConfig(cfg); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := eng.Start(ctx); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = eng.Stop(ctx)
		}
	}()
	err = waitFor("2 pipeline runs", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(results) >= 2
	})
	mu.Lock()
	got, failed := append([]map[string]any(nil), results...), append([]error(nil), failures...)
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w (failures: %v; triggers seen: %d)", err, failed, len(rec.triggersOf("pipeline:ingest")))
	}
	for i, r := range got[:2] {
		// step.bento's typed output puts its result under "result"
		if result, _ := r["result"].(map[string]any); fmt.Sprint(result["seen"]) != fmt.Sprint(i+1) {
			return fmt.Errorf("pipeline run %d gave %s, want seen=%d", i, toJSON(r), i+1)
		}
	}
	start := time.Now()
	stopped = true
	if err := eng.Stop(ctx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	h.sum.Timings["engine_stop_ms"] = float64(time.Since(start).Microseconds()) / 1000
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	return nil
}
