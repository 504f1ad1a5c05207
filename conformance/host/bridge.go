package main

// The event bridge in the real host: topic patterns on bento.output, isolation of a stalled
// subscription, the propagation-depth loop cut-off, and sharded trigger delivery. The harness
// plays the EventBus: what the plugin publishes is delivered (DeliverMessage) to every bento.output
// whose source_topic pattern matches, with the same glob rule the plugin documents.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/GoCodeAlone/workflow/plugin/external"
	pb "github.com/GoCodeAlone/workflow/plugin/external/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// matchTopic: `*` is exactly one dot-separated segment, `**` one or more.
func matchTopic(pattern, topic string) bool {
	return matchSegs(strings.Split(pattern, "."), strings.Split(topic, "."))
}

func matchSegs(p, t []string) bool {
	if len(p) == 0 {
		return len(t) == 0
	}
	if p[0] == "**" {
		for k := 1; k <= len(t); k++ {
			if matchSegs(p[1:], t[k:]) {
				return true
			}
		}
		return false
	}
	if len(t) == 0 || (p[0] != "*" && p[0] != t[0]) {
		return false
	}
	return matchSegs(p[1:], t[1:])
}

type busSub struct{ handle, pattern string }

// bus delivers published messages to subscribed bento.output handles, asynchronously (as an
// event bus would), recording failures.
type bus struct {
	mu       sync.Mutex
	subs     []busSub
	client   pb.PluginServiceClient
	ctx      context.Context
	failures []string
	inflight sync.WaitGroup
}

func (b *bus) add(handle, pattern string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, busSub{handle, pattern})
}

func (b *bus) publish(topic string, payload []byte, md map[string]string) {
	b.mu.Lock()
	subs := append([]busSub(nil), b.subs...)
	b.mu.Unlock()
	for _, s := range subs {
		if !matchTopic(s.pattern, topic) {
			continue
		}
		b.inflight.Add(1)
		go func(s busSub) {
			defer b.inflight.Done()
			resp, err := b.client.DeliverMessage(b.ctx, &pb.DeliverMessageRequest{
				HandleId: s.handle, Topic: topic, Payload: payload, Metadata: md,
			})
			if err != nil || !resp.Acknowledged {
				b.mu.Lock()
				b.failures = append(b.failures, fmt.Sprintf("%s → %s: %v %s", topic, s.pattern, err, resp.GetError()))
				b.mu.Unlock()
			}
		}(s)
	}
}

func createOutput(ctx context.Context, client pb.PluginServiceClient, name string, cfg map[string]any) (string, error) {
	st, err := structpb.NewStruct(cfg)
	if err != nil {
		return "", err
	}
	created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.output", Name: name, Config: st})
	if err != nil || created.Error != "" {
		return "", fmt.Errorf("create %s: %v %s", name, err, created.GetError())
	}
	h := &pb.HandleRequest{HandleId: created.HandleId}
	if r, err := client.InitModule(ctx, h); err != nil || r.Error != "" {
		return "", fmt.Errorf("init %s: %v %s", name, err, r.GetError())
	}
	if r, err := client.StartModule(ctx, h); err != nil || r.Error != "" {
		return "", fmt.Errorf("start %s: %v %s", name, err, r.GetError())
	}
	return created.HandleId, nil
}

func fileLines(path string) []string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func bridgeChecks(h *harness, ctx context.Context, adapter *external.ExternalPluginAdapter, rec *recorder, work string) {
	client := pb.NewPluginServiceClient(adapter.Conn())
	b := &bus{client: client, ctx: ctx}
	rec.mu.Lock()
	rec.bus = b
	rec.mu.Unlock()
	defer func() {
		rec.mu.Lock()
		rec.bus = nil
		rec.mu.Unlock()
	}()
	destroy := func(handle string) {
		client.DestroyModule(ctx, &pb.HandleRequest{HandleId: handle})
	}

	h.run("bridge: two bento.outputs on overlapping patterns each receive what they should", func() error {
		narrowFile := filepath.Join(work, "narrow.jsonl")
		wideFile := filepath.Join(work, "wide.jsonl")
		narrow, err := createOutput(ctx, client, "narrow", map[string]any{
			"source_topic": "orders.*",
			"output":       map[string]any{"file": map[string]any{"path": narrowFile, "codec": "lines"}},
		})
		if err != nil {
			return err
		}
		defer destroy(narrow)
		wide, err := createOutput(ctx, client, "wide", map[string]any{
			"source_topic": "orders.**",
			"output":       map[string]any{"file": map[string]any{"path": wideFile, "codec": "lines"}},
		})
		if err != nil {
			return err
		}
		defer destroy(wide)
		b.add(narrow, "orders.*")
		b.add(wide, "orders.**")
		for _, topic := range []string{"orders.created", "orders.eu.created", "payments.done", "orders"} {
			b.publish(topic, []byte(fmt.Sprintf(`{"topic":%q}`, topic)), nil)
		}
		b.inflight.Wait()
		if len(b.failures) > 0 {
			return fmt.Errorf("deliveries failed: %v", b.failures)
		}
		gotNarrow, gotWide := fileLines(narrowFile), fileLines(wideFile)
		sort.Strings(gotWide)
		if strings.Join(gotNarrow, ",") != `{"topic":"orders.created"}` {
			return fmt.Errorf("orders.* got %v", gotNarrow)
		}
		if strings.Join(gotWide, ",") != `{"topic":"orders.created"},{"topic":"orders.eu.created"}` {
			return fmt.Errorf("orders.** got %v", gotWide)
		}
		return nil
	})

	h.run("bridge: a stalled bento.output does not slow another", func() error {
		fastFile := filepath.Join(work, "fast.jsonl")
		fast, err := createOutput(ctx, client, "fast", map[string]any{
			"source_topic": "fast",
			"output":       map[string]any{"file": map[string]any{"path": fastFile, "codec": "lines"}},
		})
		if err != nil {
			return err
		}
		defer destroy(fast)
		stalled, err := createOutput(ctx, client, "stalled", map[string]any{
			"source_topic":     "stalled",
			"max_in_flight":    2,
			"shutdown_timeout": "500ms",
			"processors":       []any{map[string]any{"sleep": map[string]any{"duration": "5s"}}},
			"output":           map[string]any{"drop": map[string]any{}},
		})
		if err != nil {
			return err
		}
		const n = 300
		deliverFast := func(from int) (float64, error) {
			start := time.Now()
			for i := from; i < from+n; i++ {
				resp, err := client.DeliverMessage(ctx, &pb.DeliverMessageRequest{HandleId: fast, Topic: "fast", Payload: []byte(fmt.Sprint(i))})
				if err != nil || !resp.Acknowledged {
					return 0, fmt.Errorf("fast delivery %d: %v %+v", i, err, resp)
				}
			}
			return float64(n) / time.Since(start).Seconds(), nil
		}
		alone, err := deliverFast(0)
		if err != nil {
			return err
		}
		var stalledDone atomic.Int32
		sctx, cancel := context.WithCancel(ctx)
		for i := 0; i < 20; i++ {
			go func(i int) {
				client.DeliverMessage(sctx, &pb.DeliverMessageRequest{HandleId: stalled, Topic: "stalled", Payload: []byte(fmt.Sprint(i))})
				stalledDone.Add(1)
			}(i)
		}
		time.Sleep(200 * time.Millisecond)
		beside, err := deliverFast(n)
		stuck := 20 - stalledDone.Load()
		cancel()
		destroy(stalled)
		if err != nil {
			return err
		}
		// alone again: the machine's load drifts, so the comparison brackets the stalled run
		after, err := deliverFast(2 * n)
		if err != nil {
			return err
		}
		alone = (alone + after) / 2
		if got := len(fileLines(fastFile)); got != 3*n {
			return fmt.Errorf("fast wrote %d lines, want %d", got, 3*n)
		}
		if stuck != 20 {
			return fmt.Errorf("only %d of 20 stalled deliveries were still held while fast ran", stuck)
		}
		note := fmt.Sprintf("isolation: fast bento.output %.0f msg/s alone (mean of before and after), %.0f msg/s beside a stalled one holding 20 calls (ratio %.2f)", alone, beside, beside/alone)
		h.sum.Notes = append(h.sum.Notes, note)
		fmt.Fprintln(os.Stderr, note)
		return nil
	})

	h.run("bridge: a loop configured on purpose stops at propagation depth 3", func() error {
		looper, err := createOutput(ctx, client, "looper", map[string]any{
			"source_topic": "loop.t",
			"output":       map[string]any{"inproc": "loop_back"},
		})
		if err != nil {
			return err
		}
		defer destroy(looper)
		b.add(looper, "loop.t")
		st, _ := structpb.NewStruct(map[string]any{
			"target_topic": "loop.t",
			"input": map[string]any{"broker": map[string]any{"inputs": []any{
				map[string]any{"generate": map[string]any{"mapping": `root = {"seed": true}`, "count": 1, "interval": ""}},
				map[string]any{"inproc": "loop_back"},
			}}},
		})
		created, err := client.CreateModule(ctx, &pb.CreateModuleRequest{Type: "bento.input", Name: "loop_in", Config: st})
		if err != nil || created.Error != "" {
			return fmt.Errorf("create input: %v %s", err, created.GetError())
		}
		handle := &pb.HandleRequest{HandleId: created.HandleId}
		defer destroy(created.HandleId)
		if r, err := client.StartModule(ctx, handle); err != nil || r.Error != "" {
			return fmt.Errorf("start input: %v %s", err, r.GetError())
		}
		if err := waitFor("3 publishes to loop.t", 10*time.Second, func() bool { return len(rec.publishedTo("loop.t")) >= 3 }); err != nil {
			return err
		}
		time.Sleep(1500 * time.Millisecond) // a fourth would have come by now
		got := rec.publishedTo("loop.t")
		if len(got) != 3 {
			return fmt.Errorf("%d publishes to loop.t, want exactly 3", len(got))
		}
		for i, m := range got {
			if m.Metadata["propagation_depth"] != fmt.Sprint(i+1) || m.Metadata["event_id"] == "" {
				return fmt.Errorf("publish %d metadata %v, want propagation_depth %d and an event_id", i, m.Metadata, i+1)
			}
		}
		if got[0].Metadata["event_id"] != got[2].Metadata["event_id"] {
			return fmt.Errorf("the looping message changed its id: %s then %s", got[0].Metadata["event_id"], got[2].Metadata["event_id"])
		}
		return nil
	})

	h.run("bridge: a trigger with parallel: 4 keeps per-entity order", func() error {
		var mu sync.Mutex
		seqs := map[string][]float64{}
		var running, peak atomic.Int32
		rec.mu.Lock()
		rec.onTrigger = func(triggerType, _ string, data map[string]any) error {
			if triggerType != "pipeline:ordered" {
				return nil
			}
			now := running.Add(1)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			time.Sleep(time.Duration(rand.Intn(3000)) * time.Microsecond)
			running.Add(-1)
			event, _ := data["event"].(map[string]any)
			body, _ := data["body"].(map[string]any)
			mu.Lock()
			defer mu.Unlock()
			entity := fmt.Sprint(event["foreign_id"])
			seq, _ := body["seq"].(float64)
			seqs[entity] = append(seqs[entity], seq)
			return nil
		}
		rec.mu.Unlock()
		defer func() {
			rec.mu.Lock()
			rec.onTrigger = nil
			rec.mu.Unlock()
		}()
		trig, ok := adapter.TriggerFactories()["bento"]().(*external.RemoteTrigger)
		if !ok {
			return fmt.Errorf("the bento trigger is not a RemoteTrigger")
		}
		if err := trig.Configure(nil, map[string]any{
			"workflowType": "pipeline:ordered",
			"subscriptions": []any{map[string]any{
				"input": map[string]any{"generate": map[string]any{
					"mapping": "let n = counter()\nroot = {\"entity\": $n % 5, \"seq\": $n}", "count": 200, "interval": "",
				}},
				"event":    "root.foreign_id = \"entity-\" + this.entity.string()",
				"parallel": 4,
				"workflow": "ordered", "action": "ingest",
			}},
		}); err != nil {
			return err
		}
		if err := trig.Init(nil); err != nil {
			return err
		}
		if err := trig.Start(ctx); err != nil {
			return err
		}
		defer trig.Stop(ctx)
		total := func() int {
			mu.Lock()
			defer mu.Unlock()
			n := 0
			for _, s := range seqs {
				n += len(s)
			}
			return n
		}
		if err := waitFor("200 triggers", 20*time.Second, func() bool { return total() >= 200 }); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seqs) != 5 {
			return fmt.Errorf("%d entities, want 5", len(seqs))
		}
		for entity, s := range seqs {
			for i := 1; i < len(s); i++ {
				if s[i] <= s[i-1] {
					return fmt.Errorf("%s out of order: %v", entity, s)
				}
			}
		}
		note := fmt.Sprintf("trigger parallel 4: 200 events over 5 entities in order, up to %d TriggerWorkflow calls at once", peak.Load())
		h.sum.Notes = append(h.sum.Notes, note)
		fmt.Fprintln(os.Stderr, note)
		if peak.Load() < 2 {
			return fmt.Errorf("never more than one TriggerWorkflow at once: parallel had no effect")
		}
		return nil
	})
}
