package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warpstreamlabs/bento/public/bloblang"
)

func init() {
	// Only linked into the test binary: a function that panics, to check that
	// eval turns panics into exec errors instead of crashing.
	if err := bloblang.RegisterFunctionV2("oracle_test_panic", bloblang.NewPluginSpec(),
		func(*bloblang.ParsedParams) (bloblang.Function, error) {
			return func() (any, error) { panic("boom") }, nil
		}); err != nil {
		panic(err)
	}
}

func evalOne(t *testing.T, c map[string]any) map[string]any {
	t.Helper()
	line, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(encodeResult(evalLine(line, "")), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEvalCases(t *testing.T) {
	cleanup, err := setupExampleEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()

	tests := []struct {
		mapping, input string
		meta           map[string]any
		field          string
		want           any
	}{
		{`root = this.foo.uppercase()`, `{"foo":"bar"}`, nil, "result", "BAR"},
		{`root = this.`, `{}`, nil, "parse_error", "required: expected method or field path, but reached end of input"},
		{`root = this.nope.number()`, `{}`, nil, "exec_error", "failed assignment (line 1): expected number value, got null from field `this.nope`"},
		{`root = deleted()`, `{}`, nil, "deleted", true},
		{`meta foo = "x"`, `{"a":1}`, map[string]any{"k": "v"}, "metadata", map[string]any{"foo": "x", "k": "v"}},
		{`root = this`, `{"a":12345678901234567890123}`, nil, "result", `{"a":12345678901234567890123}`},
		{`root.b = this.a + 1`, `{"a":9007199254740993}`, nil, "result", `{"b":9007199254740994}`},
		{`root = {"h":"<&>"}`, ``, nil, "result", `{"h":"<&>"}`},
		{`root = oracle_test_panic()`, `{}`, nil, "exec_error", "panic: boom"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			c := map[string]any{"id": i, "mapping": tt.mapping, "input": tt.input}
			if tt.meta != nil {
				c["metadata"] = tt.meta
			}
			res := evalOne(t, c)
			if got := res[tt.field]; fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s = %#v, want %#v (full: %v)", tt.field, got, tt.want, res)
			}
			if res["id"] != float64(i) {
				t.Errorf("id = %v", res["id"])
			}
		})
	}
}

func TestEvalStreamKeepsOrder(t *testing.T) {
	var in bytes.Buffer
	const n = 200
	for i := 0; i < n; i++ {
		// Vary the cost so that workers finish out of order.
		m := fmt.Sprintf(`root = range(0, %d).map_each(x -> x * 2).sum() + %d`, (n-i)*50, i)
		b, _ := json.Marshal(map[string]any{"id": i, "mapping": m, "input": "{}"})
		in.Write(b)
		in.WriteString("\n\n") // blank lines are skipped
	}
	in.WriteString("not json\n")
	var out bytes.Buffer
	if err := evalStream(&in, &out, 4, time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("got %d lines, want %d", len(lines), n+1)
	}
	for i := 0; i < n; i++ {
		var res struct {
			ID     int    `json:"id"`
			Result string `json:"result"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &res); err != nil {
			t.Fatal(err)
		}
		if res.ID != i {
			t.Fatalf("line %d has id %d", i, res.ID)
		}
	}
	if !strings.Contains(lines[n], `"case_error":"invalid case:`) {
		t.Errorf("last line: %s", lines[n])
	}
}

func TestEvalInputsShareOneParse(t *testing.T) {
	res := evalOne(t, map[string]any{
		"id":       "c",
		"mapping":  `root.n = counter()`,
		"inputs":   []any{"{}", map[string]any{"input": "{}", "metadata": map[string]any{"a": "b"}}},
		"metadata": map[string]any{"x": "y"},
	})
	runs, _ := res["runs"].([]any)
	if len(runs) != 2 {
		t.Fatalf("runs: %v", res)
	}
	for i, want := range []string{`{"n":1}`, `{"n":2}`} {
		run := runs[i].(map[string]any)
		if run["result"] != want {
			t.Errorf("run %d: %v, want %s", i, run, want)
		}
	}
	if md := runs[1].(map[string]any)["metadata"].(map[string]any); md["a"] != "b" || md["x"] != nil {
		t.Errorf("per-input metadata not used: %v", md)
	}
}
