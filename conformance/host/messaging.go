package main

// The messaging half of the plugin in the real host: bento.input publishing through the
// CallbackServer's publish func (and redelivery after a refused publish), bento.output receiving a
// raw DeliverMessage (acknowledged only once its file output wrote), the bento.broker loopback, and
// the bento trigger reaching the CallbackServer's trigger func.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/GoCodeAlone/workflow/plugin"
	"github.com/GoCodeAlone/workflow/plugin/external"
	pb "github.com/GoCodeAlone/workflow/plugin/external/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

type publishedMsg struct {
	Topic    string
	Payload  string
	Metadata map[string]string
}

type triggerCall struct {
	Type, Action string
	Data         map[string]any
}

// recorder is the host side of the callbacks: what the plugin published, subscribed to and
// triggered. refusePublish makes the next n publishes fail.
type recorder struct {
	mu            sync.Mutex
	published     []publishedMsg
	subscriptions []string
	cancelled     []string
	triggers      []triggerCall
	refusePublish int
	refused       int
	// onTrigger, when set, handles triggers after they are recorded (the full-engine check).
	onTrigger func(triggerType, action string, data map[string]any) error
	// bus, when set, delivers what is published to the subscribed bento.outputs (bridge.go).
	bus *bus
}

func (r *recorder) publish(_, topic string, payload []byte, md map[string]string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refusePublish > 0 {
		r.refusePublish--
		r.refused++
		return "", errors.New("event bus unavailable")
	}
	r.published = append(r.published, publishedMsg{topic, string(payload), md})
	if r.bus != nil {
		r.bus.publish(topic, payload, md)
	}
	return fmt.Sprintf("m%d", len(r.published)), nil
}

func (r *recorder) subscribe(_, topic string, _ func([]byte, map[string]string) error) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subscriptions = append(r.subscriptions, topic)
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cancelled = append(r.cancelled, topic)
	}, nil
}

func (r *recorder) trigger(triggerType, action string, data map[string]any) error {
	r.mu.Lock()
	r.triggers = append(r.triggers, triggerCall{triggerType, action, data})
	next := r.onTrigger
	r.mu.Unlock()
	if next != nil {
		return next(triggerType, action, data)
	}
	return nil
}

func (r *recorder) publishedTo(topic string) []publishedMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []publishedMsg
	for _, m := range r.published {
		if m.Topic == topic {
			out = append(out, m)
		}
	}
	return out
}

func (r *recorder) triggersOf(triggerType string) []triggerCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []triggerCall
	for _, t := range r.triggers {
		if t.Type == triggerType {
			out = append(out, t)
		}
	}
	return out
}

func waitFor(what string, d time.Duration, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func messagingChecks(h *harness, ctx context.Context, adapter *external.ExternalPluginAdapter,
	modules map[string]plugin.ModuleFactory, rec *recorder, work string) {
	startModule := func(typ, name string, cfg map[string]any) (interface {
		Start(context.Context) error
		Stop(context.Context) error
	}, error) {
		factory := modules[typ]
		if factory == nil {
			return nil, fmt.Errorf("no %s factory", typ)
		}
		mod := factory(name, cfg)
		if err := external.AsModuleError(mod); err != nil {
			return nil, err
		}
		if err := mod.Init(nil); err != nil {
			return nil, err
		}
		lc := mod.(interface {
			Start(context.Context) error
			Stop(context.Context) error
		})
		return lc, lc.Start(ctx)
	}

	h.run("bento.input: every message published to target_topic (CallbackServer publish func)", func() error {
		mod, err := startModule("bento.input", "events", map[string]any{
			"_config_dir":  work,
			"target_topic": "orders",
			"input": map[string]any{"generate": map[string]any{
				"mapping": "root = {\"n\": counter()}\nmeta source = \"harness\"", "count": 3, "interval": "",
			}},
			"processors": []any{map[string]any{"mapping": "root.doubled = this.n * 2"}},
		})
		if err != nil {
			return err
		}
		defer mod.Stop(ctx)
		if err := waitFor("3 publishes", 5*time.Second, func() bool { return len(rec.publishedTo("orders")) >= 3 }); err != nil {
			return err
		}
		got := rec.publishedTo("orders")
		for i, m := range got {
			if want := fmt.Sprintf(`{"doubled":%d}`, 2*(i+1)); m.Payload != want || m.Metadata["source"] != "harness" {
				return fmt.Errorf("publish %d: %s %v, want %s with source=harness", i, m.Payload, m.Metadata, want)
			}
		}
		return mod.Stop(ctx)
	})

	h.run("bento.input: a refused publish is nacked and redelivered", func() error {
		rec.mu.Lock()
		rec.refusePublish = 2
		rec.mu.Unlock()
		mod, err := startModule("bento.input", "retrying", map[string]any{
			"target_topic": "retries",
			"input": map[string]any{"generate": map[string]any{
				"mapping": `root = {"n": counter()}`, "interval": "20ms",
			}},
		})
		if err != nil {
			return err
		}
		defer mod.Stop(ctx)
		if err := waitFor("message 1 after 2 refusals", 5*time.Second, func() bool {
			for _, m := range rec.publishedTo("retries") {
				if m.Payload == `{"n":1}` {
					return true
				}
			}
			return false
		}); err != nil {
			return err
		}
		rec.mu.Lock()
		refused := rec.refused
		rec.mu.Unlock()
		if refused != 2 {
			return fmt.Errorf("%d publishes refused, want 2", refused)
		}
		return mod.Stop(ctx)
	})

	client := pb.NewPluginServiceClient(adapter.Conn())
	h.run("bento.output: raw DeliverMessage acknowledged only once the file output wrote", func() error {
		out := filepath.Join(work, "delivered.jsonl")
		cfg, err := structpb.NewStruct(map[string]any{
			"source_topic": "orders",
			"processors":   "mapping: |\n  root = this\n  root.seen = true\n",
			"output":       map[string]any{"file": map[string]any{"path": out, "codec": "lines"}},
		})
		if err != nil {
			return err
		}
		created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.output", Name: "sink", Config: cfg})
		if err != nil || created.Error != "" {
			return fmt.Errorf("create: %v %s", err, created.GetError())
		}
		handle := &pb.HandleRequest{HandleId: created.HandleId}
		for _, call := range []func(context.Context, *pb.HandleRequest) (*pb.ErrorResponse, error){
			func(c context.Context, r *pb.HandleRequest) (*pb.ErrorResponse, error) {
				return client.InitModule(c, r)
			},
			func(c context.Context, r *pb.HandleRequest) (*pb.ErrorResponse, error) {
				return client.StartModule(c, r)
			},
		} {
			if resp, err := call(ctx, handle); err != nil || resp.Error != "" {
				return fmt.Errorf("init/start: %v %s", err, resp.GetError())
			}
		}
		defer client.DestroyModule(ctx, handle)
		rec.mu.Lock()
		subscribed := strings.Join(rec.subscriptions, ",")
		rec.mu.Unlock()
		if !strings.Contains(subscribed, "orders") {
			return fmt.Errorf("no Subscribe to orders reached the host (subscriptions: %q)", subscribed)
		}
		for n := 1; n <= 3; n++ {
			resp, err := client.DeliverMessage(ctx, &pb.DeliverMessageRequest{
				HandleId: created.HandleId, Topic: "orders", MessageId: fmt.Sprint(n),
				Payload: []byte(fmt.Sprintf(`{"n":%d}`, n)), Metadata: map[string]string{"source": "harness"},
			})
			if err != nil || resp.Error != "" || !resp.Acknowledged {
				return fmt.Errorf("deliver %d: %v %+v", n, err, resp)
			}
			b, _ := os.ReadFile(out)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if want := fmt.Sprintf(`{"n":%d,"seen":true}`, n); lines[len(lines)-1] != want {
				return fmt.Errorf("after the ack of %d the file ends with %q, want %q", n, lines[len(lines)-1], want)
			}
		}
		resp, err := client.DeliverMessage(ctx, &pb.DeliverMessageRequest{HandleId: created.HandleId, Topic: "other"})
		if err != nil || resp.Acknowledged || !strings.Contains(resp.Error, "no message handler") {
			return fmt.Errorf("delivery to an unsubscribed topic: %v %+v", err, resp)
		}
		if resp, err := client.StopModule(ctx, handle); err != nil || resp.Error != "" {
			return fmt.Errorf("stop: %v %s", err, resp.GetError())
		}
		rec.mu.Lock()
		cancelled := strings.Join(rec.cancelled, ",")
		rec.mu.Unlock()
		if !strings.Contains(cancelled, "orders") {
			return errors.New("Stop did not unsubscribe from orders")
		}
		return nil
	})

	h.run("bento.output: a failed write is not acknowledged", func() error {
		cfg, _ := structpb.NewStruct(map[string]any{"source_topic": "bad", "output": map[string]any{"reject": "refused by harness"}})
		created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.output", Name: "rejecting", Config: cfg})
		if err != nil || created.Error != "" {
			return fmt.Errorf("create: %v %s", err, created.GetError())
		}
		handle := &pb.HandleRequest{HandleId: created.HandleId}
		defer client.DestroyModule(ctx, handle)
		if resp, err := client.StartModule(ctx, handle); err != nil || resp.Error != "" {
			return fmt.Errorf("start: %v %s", err, resp.GetError())
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := client.DeliverMessage(c, &pb.DeliverMessageRequest{HandleId: created.HandleId, Topic: "bad", Payload: []byte("x")})
		if err != nil || resp.Acknowledged || !strings.Contains(resp.Error, "refused by harness") {
			return fmt.Errorf("got %v %+v, want not acknowledged with the output's error", err, resp)
		}
		return nil
	})

	h.run("bento.broker: memory transport publishes back what is delivered", func() error {
		created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.broker", Name: "mem"})
		if err != nil || created.Error != "" {
			return fmt.Errorf("create: %v %s", err, created.GetError())
		}
		handle := &pb.HandleRequest{HandleId: created.HandleId}
		defer client.DestroyModule(ctx, handle)
		if resp, err := client.StartModule(ctx, handle); err != nil || resp.Error != "" {
			return fmt.Errorf("start: %v %s", err, resp.GetError())
		}
		resp, err := client.DeliverMessage(ctx, &pb.DeliverMessageRequest{HandleId: created.HandleId, Topic: "jobs", Payload: []byte(`{"job":1}`)})
		if err != nil || !resp.Acknowledged {
			return fmt.Errorf("deliver: %v %+v", err, resp)
		}
		got := rec.publishedTo("jobs")
		if len(got) != 1 || got[0].Payload != `{"job":1}` {
			return fmt.Errorf("published to jobs: %+v", got)
		}
		return nil
	})

	h.run("trigger bento: messages reach the host's TriggerWorkflow", func() error {
		factory := adapter.TriggerFactories()["bento"]
		if factory == nil {
			return errors.New("no bento trigger factory")
		}
		trig, ok := factory().(*external.RemoteTrigger)
		if !ok {
			return errors.New("the bento trigger is not a RemoteTrigger")
		}
		err := trig.Configure(nil, map[string]any{
			"workflowType": "pipeline:harness",
			"subscriptions": []any{map[string]any{
				"input":    map[string]any{"generate": map[string]any{"mapping": `root = {"n": counter()}`, "count": 2, "interval": ""}},
				"workflow": "harness", "action": "process",
			}},
		})
		if err != nil {
			return err
		}
		if err := trig.Init(nil); err != nil {
			return err
		}
		if err := trig.Start(ctx); err != nil {
			return err
		}
		defer trig.Stop(ctx)
		if err := waitFor("2 triggers", 5*time.Second, func() bool { return len(rec.triggersOf("pipeline:harness")) >= 2 }); err != nil {
			return err
		}
		for i, t := range rec.triggersOf("pipeline:harness") {
			body, _ := json.Marshal(t.Data["body"])
			if t.Action != "process" || t.Data["workflow"] != "harness" || string(body) != fmt.Sprintf(`{"n":%d}`, i+1) {
				return fmt.Errorf("trigger %d: %+v", i, t)
			}
		}
		start := time.Now()
		if err := trig.Stop(ctx); err != nil {
			return err
		}
		h.sum.Timings["trigger_stop_ms"] = float64(time.Since(start).Microseconds()) / 1000
		return nil
	})
}
