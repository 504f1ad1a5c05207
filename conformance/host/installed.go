package main

// Installed mode (-installed): the plugins a workflow server would find in a plugins dir (as
// `wfctl plugin install` laid them out), loaded by the ExternalPluginManager, then the workflow
// engine built from an app config, started (modules such as bento.stream run), one pipeline
// triggered with an input, and stopped. Prints one JSON line: what loaded, the pipeline's result,
// errors, and the host log.

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/GoCodeAlone/modular"
	"github.com/GoCodeAlone/workflow"
	"github.com/GoCodeAlone/workflow/config"
	"github.com/GoCodeAlone/workflow/module"
	"github.com/GoCodeAlone/workflow/plugin/external"
	allplugins "github.com/GoCodeAlone/workflow/plugins/all"
)

type installedResult struct {
	Loaded     []string       `json:"loaded"`
	LoadErrors []string       `json:"load_errors"`
	Result     map[string]any `json:"result,omitempty"`
	Error      string         `json:"error,omitempty"`
	WaitedFor  string         `json:"waited_for,omitempty"`
	HostLog    string         `json:"host_log"`
}

func runInstalled(pluginsDir, configPath, pipeline, input, waitFile string, waitLines int) int {
	res := installedResult{Loaded: []string{}, LoadErrors: []string{}}
	hostLog := &lockedBuffer{}
	defer func() {
		res.HostLog = hostLog.String()
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	}()
	logger := log.New(hostLog, "[external-plugins] ", log.Lmicroseconds)
	ctx := context.Background()

	slogger := slog.New(slog.NewTextHandler(hostLog, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := workflow.NewStdEngine(modular.NewStdApplication(nil, slogger), slogger)
	cb := external.NewCallbackServer(func(triggerType, action string, data map[string]any) error {
		return eng.TriggerWorkflow(ctx, triggerType, action, data)
	}, nil, logger)
	mgr := external.NewExternalPluginManager(pluginsDir, logger)
	mgr.SetCallbackServer(cb)
	defer mgr.Shutdown()
	for _, p := range allplugins.DefaultPlugins() {
		if err := eng.LoadPlugin(p); err != nil {
			res.Error = fmt.Sprintf("load %s: %v", p.Name(), err)
			return 1
		}
	}
	names, err := mgr.DiscoverPlugins()
	if err != nil {
		res.Error = err.Error()
		return 1
	}
	for _, name := range names {
		adapter, err := mgr.LoadPlugin(name)
		if err != nil {
			res.LoadErrors = append(res.LoadErrors, err.Error())
			continue
		}
		if err := eng.LoadPlugin(adapter); err != nil {
			res.LoadErrors = append(res.LoadErrors, err.Error())
			continue
		}
		res.Loaded = append(res.Loaded, name)
	}
	if configPath == "" {
		return 0
	}
	cfg, err := config.LoadFromFile(configPath)
	if err != nil {
		res.Error = fmt.Sprintf("config: %v", err)
		return 1
	}
	if err := eng.BuildFromConfig(cfg); err != nil {
		res.Error = fmt.Sprintf("build: %v", err)
		return 1
	}
	if err := eng.Start(ctx); err != nil {
		res.Error = fmt.Sprintf("start: %v", err)
		return 1
	}
	defer func() { _ = eng.Stop(ctx) }()
	var data map[string]any
	if err := json.Unmarshal([]byte(input), &data); err != nil {
		res.Error = fmt.Sprintf("-input: %v", err)
		return 1
	}
	holder := &module.PipelineResultHolder{}
	if err := eng.TriggerWorkflow(context.WithValue(ctx, module.PipelineResultContextKey, holder), "pipeline:"+pipeline, "", data); err != nil {
		res.Error = fmt.Sprintf("pipeline %s: %v", pipeline, err)
		return 1
	}
	res.Result = holder.Get()
	if waitFile != "" {
		res.WaitedFor = waitFile
		if err := waitFor(fmt.Sprintf("%d lines in %s", waitLines, waitFile), 10*time.Second, func() bool {
			b, _ := os.ReadFile(waitFile)
			return strings.Count(string(b), "\n") >= waitLines
		}); err != nil {
			res.Error = err.Error()
			return 1
		}
	}
	return 0
}
