package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/warpstreamlabs/bento/public/bloblang"
)

// paramSpec is one parameter of a function or method. Optional is true when
// the argument may be omitted: the parameter is marked optional or has a
// default (Default holds the default as JSON).
type paramSpec struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Optional    bool            `json:"optional"`
	Default     json.RawMessage `json:"default,omitempty"`
	Description string          `json:"description,omitempty"`
}

// paramsSpec is the parameter list of a function or method.
type paramsSpec struct {
	Variadic bool        `json:"variadic"`
	Params   []paramSpec `json:"params"`
}

// exampleEntry is one documented example of one function or method.
type exampleEntry struct {
	// ID is stable for a given Bento version: "<kind>:<name>:<n>", where n
	// counts the examples of that function/method in documentation order
	// (for methods: top-level examples first, then category by category).
	ID          string      `json:"id"`
	Kind        string      `json:"kind"`
	Name        string      `json:"name"`
	Status      string      `json:"status"`
	Category    string      `json:"category,omitempty"`
	Mapping     string      `json:"mapping"`
	Summary     string      `json:"summary"`
	Results     [][2]string `json:"results"`
	SkipTesting bool        `json:"skip_testing"`
	Params      paramsSpec  `json:"params"`
}

// catalogEntry is one registered function or method.
type catalogEntry struct {
	Kind        string          `json:"kind"`
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Category    string          `json:"category,omitempty"`
	Categories  []string        `json:"categories,omitempty"`
	Version     string          `json:"version,omitempty"`
	Description string          `json:"description"`
	Params      paramsSpec      `json:"params"`
	Examples    int             `json:"examples"`
	Spec        json.RawMessage `json:"spec"`
}

func convertParams(p bloblang.TemplateParamsData) paramsSpec {
	out := paramsSpec{Variadic: p.Variadic, Params: []paramSpec{}}
	for _, d := range p.Definitions {
		ps := paramSpec{
			Name:        d.Name,
			Type:        d.ValueType,
			Optional:    d.IsOptional || d.DefaultMarshalled != "",
			Description: d.Description,
		}
		if d.DefaultMarshalled != "" {
			ps.Default = json.RawMessage(d.DefaultMarshalled)
		}
		out.Params = append(out.Params, ps)
	}
	return out
}

func results(r [][2]string) [][2]string {
	if r == nil {
		return [][2]string{}
	}
	return r
}

// collect walks the global environment and returns the examples and the
// catalog, both sorted by (kind, name).
func collect() (examples []exampleEntry, catalog []catalogEntry, err error) {
	env := bloblang.GlobalEnvironment()

	type fn struct {
		name string
		view *bloblang.FunctionView
	}
	type me struct {
		name string
		view *bloblang.MethodView
	}
	var fns []fn
	var mes []me
	env.WalkFunctions(func(name string, v *bloblang.FunctionView) { fns = append(fns, fn{name, v}) })
	env.WalkMethods(func(name string, v *bloblang.MethodView) { mes = append(mes, me{name, v}) })
	sort.Slice(fns, func(i, j int) bool { return fns[i].name < fns[j].name })
	sort.Slice(mes, func(i, j int) bool { return mes[i].name < mes[j].name })

	for _, f := range fns {
		td := f.view.TemplateData()
		spec, jerr := f.view.FormatJSON()
		if jerr != nil {
			return nil, nil, fmt.Errorf("function %s: %w", f.name, jerr)
		}
		params := convertParams(td.Params)
		for i, e := range td.Examples {
			examples = append(examples, exampleEntry{
				ID:          fmt.Sprintf("function:%s:%d", f.name, i),
				Kind:        "function",
				Name:        f.name,
				Status:      td.Status,
				Category:    td.Category,
				Mapping:     e.Mapping,
				Summary:     e.Summary,
				Results:     results(e.Results),
				SkipTesting: e.SkipTesting,
				Params:      params,
			})
		}
		catalog = append(catalog, catalogEntry{
			Kind:        "function",
			Name:        f.name,
			Status:      td.Status,
			Category:    td.Category,
			Version:     td.Version,
			Description: td.Description,
			Params:      params,
			Examples:    len(td.Examples),
			Spec:        spec,
		})
	}

	for _, m := range mes {
		td := m.view.TemplateData()
		spec, jerr := m.view.FormatJSON()
		if jerr != nil {
			return nil, nil, fmt.Errorf("method %s: %w", m.name, jerr)
		}
		params := convertParams(td.Params)
		n := 0
		add := func(category string, e bloblang.TemplateExampleData) {
			examples = append(examples, exampleEntry{
				ID:          fmt.Sprintf("method:%s:%d", m.name, n),
				Kind:        "method",
				Name:        m.name,
				Status:      td.Status,
				Category:    category,
				Mapping:     e.Mapping,
				Summary:     e.Summary,
				Results:     results(e.Results),
				SkipTesting: e.SkipTesting,
				Params:      params,
			})
			n++
		}
		for _, e := range td.Examples {
			add("", e)
		}
		var cats []string
		for _, c := range td.Categories {
			cats = append(cats, c.Category)
			for _, e := range c.Examples {
				add(c.Category, e)
			}
		}
		catalog = append(catalog, catalogEntry{
			Kind:        "method",
			Name:        m.name,
			Status:      td.Status,
			Categories:  cats,
			Version:     td.Version,
			Description: td.Description,
			Params:      params,
			Examples:    n,
			Spec:        spec,
		})
	}
	return examples, catalog, nil
}

// writeJSON writes v as JSON without HTML escaping, followed by a newline.
func writeJSON(v any, pretty bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := os.Stdout.Write(buf.Bytes())
	return err
}

type counts struct {
	functions, methods                     int
	hiddenFunctions, hiddenMethods         int
	examples, pairs, errorPairs, skipPairs int
	deletedPairs, noPairExamples           int
}

func countAll(examples []exampleEntry, catalog []catalogEntry) counts {
	var c counts
	for _, e := range catalog {
		if e.Kind == "function" {
			c.functions++
			if e.Status == "hidden" {
				c.hiddenFunctions++
			}
		} else {
			c.methods++
			if e.Status == "hidden" {
				c.hiddenMethods++
			}
		}
	}
	for _, e := range examples {
		c.examples++
		if len(e.Results) == 0 {
			c.noPairExamples++
		}
		for _, r := range e.Results {
			c.pairs++
			switch {
			case e.SkipTesting:
				c.skipPairs++
			case strings.HasPrefix(r[1], errorExpectationPre):
				c.errorPairs++
			case r[1] == deletedExpectation:
				c.deletedPairs++
			}
		}
	}
	return c
}

func (c counts) report() {
	fmt.Fprintf(os.Stderr,
		"bento %s: %d functions (%d hidden), %d methods (%d hidden); %d examples (%d without I/O pairs), %d I/O pairs (%d skip_testing, %d Error(...), %d <Message deleted>)\n",
		bentoVersion(), c.functions, c.hiddenFunctions, c.methods, c.hiddenMethods,
		c.examples, c.noPairExamples, c.pairs, c.skipPairs, c.errorPairs, c.deletedPairs)
}

func runExamples(args []string) error {
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	pretty := fs.Bool("pretty", false, "indent the JSON output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	examples, catalog, err := collect()
	if err != nil {
		return err
	}
	countAll(examples, catalog).report()
	if examples == nil {
		examples = []exampleEntry{}
	}
	return writeJSON(examples, *pretty)
}

func runCatalog(args []string) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	pretty := fs.Bool("pretty", false, "indent the JSON output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	examples, catalog, err := collect()
	if err != nil {
		return err
	}
	countAll(examples, catalog).report()
	if catalog == nil {
		catalog = []catalogEntry{}
	}
	return writeJSON(catalog, *pretty)
}

// runVerify executes every documented example the way Bento's own example
// tests do and reports mismatches. It is a self-check of the oracle: on a
// correct build every executable pair passes.
func runVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "print every checked pair")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cleanup, err := setupExampleEnv()
	if err != nil {
		return err
	}
	defer cleanup()

	examples, catalog, err := collect()
	if err != nil {
		return err
	}
	countAll(examples, catalog).report()

	var passed, failed, skipped int
	for _, e := range examples {
		if e.SkipTesting {
			skipped += len(e.Results)
			continue
		}
		exec, perr := bloblang.GlobalEnvironment().Parse(e.Mapping)
		if perr != nil {
			failed++
			fmt.Printf("FAIL %s: parse error: %v\n", e.ID, perr)
			continue
		}
		for j, r := range e.Results {
			traceparent := ""
			if e.Kind == "function" {
				traceparent = exampleTraceparent
			}
			out, xerr := execute(exec, newMessage([]byte(r[0]), nil, traceparent), modeMapping)
			want := r[1]
			var got string
			switch {
			case strings.HasPrefix(want, errorExpectationPre):
				want = want[len(errorExpectationPre) : len(want)-2]
				if xerr != nil {
					got = xerr.Error()
				} else {
					got = "<no error>"
				}
			case xerr != nil:
				got = "Error: " + xerr.Error()
			case out == nil:
				got = deletedExpectation
			default:
				b, berr := out.AsBytes()
				if berr != nil {
					got = "AsBytes error: " + berr.Error()
				} else {
					got = string(b)
				}
			}
			if got == want {
				passed++
				if *verbose {
					fmt.Printf("ok   %s[%d]\n", e.ID, j)
				}
			} else {
				failed++
				fmt.Printf("FAIL %s[%d]: mapping %q input %q\n     want %q\n     got  %q\n", e.ID, j, e.Mapping, r[0], want, got)
			}
		}
	}
	fmt.Printf("verify: %d passed, %d failed, %d skipped (skip_testing)\n", passed, failed, skipped)
	if failed > 0 {
		return fmt.Errorf("%d example pairs failed", failed)
	}
	return nil
}
