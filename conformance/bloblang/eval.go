package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/warpstreamlabs/bento/public/bloblang"
	"github.com/warpstreamlabs/bento/public/service"
)

// evalCase is one line of eval input.
type evalCase struct {
	ID      json.RawMessage `json:"id"`
	Mapping string          `json:"mapping"`
	// Input is the raw message payload. InputBase64, when present, takes
	// precedence and carries arbitrary (non UTF-8) payload bytes.
	Input       *string `json:"input"`
	InputBase64 *string `json:"input_base64"`
	// Metadata of the input message. String values are set with MetaSet (as
	// inputs do); any other JSON value is set as typed metadata (MetaSetMut),
	// numbers decoded as json.Number.
	Metadata map[string]any `json:"metadata"`
	// Mode is "mapping" (default, the mapping processor: BloblangQuery) or
	// "mutation" (the mutation processor: BloblangMutate).
	Mode string `json:"mode"`
	// Traceparent, when set, attaches a tracing span extracted from this W3C
	// traceparent header to the message (used by tracing_span/tracing_id).
	Traceparent *string `json:"traceparent"`
	// Inputs, when present, replaces input/input_base64: the mapping is
	// parsed once and run on each input in turn (like one processor handling
	// several messages, or Bento's example tests running every pair of an
	// example on one parsed mapping), which matters for stateful functions
	// such as counter(). Each item is a raw payload string or an object
	// {"input"|"input_base64", "metadata"}; an object without metadata uses
	// the case's metadata.
	Inputs []evalInput `json:"inputs"`
}

// evalInput is one item of evalCase.Inputs.
type evalInput struct {
	Input       *string        `json:"input"`
	InputBase64 *string        `json:"input_base64"`
	Metadata    map[string]any `json:"metadata"`
}

func (in *evalInput) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		in.Input = &s
		return nil
	}
	type plain evalInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode((*plain)(in))
}

func (in evalInput) payload() ([]byte, error) {
	switch {
	case in.InputBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*in.InputBase64)
		if err != nil {
			return nil, fmt.Errorf("invalid input_base64: %w", err)
		}
		return b, nil
	case in.Input != nil:
		return []byte(*in.Input), nil
	}
	return []byte{}, nil
}

type parseErrorDetail struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	// Positional is the single-line "line L char C: <msg>" form (the first
	// line of Multiline).
	Positional string `json:"positional"`
	// Multiline is ParseError.ErrorMultiline(): the positional line followed
	// by the offending source line and a ^--- caret.
	Multiline string `json:"multiline"`
}

// evalRun is the outcome of running a parsed mapping on one message.
type evalRun struct {
	// Result is the output payload (AsBytes) as a string; null when the
	// message was deleted or on any error.
	Result *string `json:"result"`
	// ResultBase64 is set only when the output payload is not valid UTF-8
	// (Result then holds a lossy rendering).
	ResultBase64 *string `json:"result_base64,omitempty"`
	// Metadata is the output message's metadata with every value converted
	// to a string the way outputs do (MetaGet); MetadataTyped holds the same
	// values as typed JSON. Both null when there is no output message.
	Metadata      map[string]string `json:"metadata"`
	MetadataTyped map[string]any    `json:"metadata_typed"`
	Deleted       bool              `json:"deleted"`
	// ExecError is the error returned by the execution, verbatim.
	ExecError *string `json:"exec_error"`
}

// evalResult is one line of eval output. For a case with "inputs" the
// embedded run fields stay null/false and Runs holds one entry per input.
type evalResult struct {
	ID json.RawMessage `json:"id"`
	evalRun
	ParseError         *string           `json:"parse_error"`
	ParseErrorDetailed *parseErrorDetail `json:"parse_error_detailed,omitempty"`
	Runs               []evalRun         `json:"runs,omitempty"`
	// CaseError reports an unusable input line (bad JSON, bad mode, ...).
	CaseError *string `json:"case_error,omitempty"`
}

func strPtr(s string) *string { return &s }

func nullID(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

// decodeCase decodes one JSON line; numbers in metadata stay json.Number.
func decodeCase(line []byte) (evalCase, error) {
	var c evalCase
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	if dec.More() {
		return c, errors.New("unexpected data after the JSON object")
	}
	return c, nil
}

// evalLine evaluates one input line. It never panics.
func evalLine(line []byte, defaultTraceparent string) (res evalResult) {
	defer func() {
		if r := recover(); r != nil {
			res.evalRun = evalRun{ExecError: strPtr(fmt.Sprintf("%s%v", panicPrefix, r))}
			res.Runs = nil
		}
	}()

	c, err := decodeCase(line)
	res.ID = nullID(c.ID)
	if err != nil {
		res.CaseError = strPtr("invalid case: " + err.Error())
		return res
	}
	if err := validMode(c.Mode); err != nil {
		res.CaseError = strPtr(err.Error())
		return res
	}

	multi := c.Inputs != nil
	inputs := c.Inputs
	if !multi {
		inputs = []evalInput{{Input: c.Input, InputBase64: c.InputBase64, Metadata: c.Metadata}}
	}
	payloads := make([][]byte, len(inputs))
	for i, in := range inputs {
		if payloads[i], err = in.payload(); err != nil {
			res.CaseError = strPtr(err.Error())
			return res
		}
		if inputs[i].Metadata == nil {
			inputs[i].Metadata = c.Metadata
		}
	}

	exec, err := parse(c.Mapping)
	if err != nil {
		res.ParseError = strPtr(err.Error())
		var pErr *bloblang.ParseError
		if errors.As(err, &pErr) {
			multiline := pErr.ErrorMultiline()
			positional, _, _ := strings.Cut(multiline, "\n")
			res.ParseErrorDetailed = &parseErrorDetail{
				Line:       pErr.Line,
				Column:     pErr.Column,
				Positional: positional,
				Multiline:  multiline,
			}
		}
		return res
	}

	traceparent := defaultTraceparent
	if c.Traceparent != nil {
		traceparent = *c.Traceparent
	}
	runs := make([]evalRun, len(inputs))
	for i := range inputs {
		runs[i] = runOne(exec, newMessage(payloads[i], inputs[i].Metadata, traceparent), c.Mode)
	}
	if multi {
		res.Runs = runs
	} else {
		res.evalRun = runs[0]
	}
	return res
}

// runOne executes a parsed mapping on one message.
func runOne(exec *bloblang.Executor, msg *service.Message, mode string) (run evalRun) {
	out, err := execute(exec, msg, mode)
	if err != nil {
		run.ExecError = strPtr(err.Error())
		return run
	}
	if out == nil {
		run.Deleted = true
		return run
	}
	b, err := out.AsBytes()
	if err != nil {
		run.ExecError = strPtr("AsBytes: " + err.Error())
		return run
	}
	s := string(b)
	run.Result = &s
	if !utf8.Valid(b) {
		run.ResultBase64 = strPtr(base64.StdEncoding.EncodeToString(b))
	}
	run.Metadata, run.MetadataTyped = outputMetadata(out)
	return run
}

// outputMetadata renders the metadata of the output message.
func outputMetadata(m *service.Message) (map[string]string, map[string]any) {
	strs := map[string]string{}
	typed := map[string]any{}
	_ = m.MetaWalkMut(func(k string, v any) error {
		typed[k] = typedMetaValue(v)
		return nil
	})
	_ = m.MetaWalk(func(k, v string) error {
		strs[k] = v
		return nil
	})
	return strs, typed
}

// typedMetaValue makes a metadata value JSON-encodable without losing its
// meaning: bytes become strings (as Bento's own JSON encoding of a message
// would render them base64 otherwise), timestamps RFC 3339 with nanoseconds.
func typedMetaValue(v any) any {
	switch t := v.(type) {
	case []byte:
		return string(t)
	case time.Time:
		return t.Format(time.RFC3339Nano)
	}
	return v
}

type evalJob struct {
	seq  int
	line []byte
}

type evalOut struct {
	seq  int
	line []byte
}

func encodeResult(r evalResult) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		// A typed metadata value that cannot be encoded: retry without it.
		r.MetadataTyped = nil
		for i := range r.Runs {
			r.Runs[i].MetadataTyped = nil
		}
		r.CaseError = strPtr("unable to encode typed metadata: " + err.Error())
		buf.Reset()
		if err2 := enc.Encode(r); err2 != nil {
			buf.Reset()
			fmt.Fprintf(&buf, `{"id":%s,"result":null,"metadata":null,"metadata_typed":null,"deleted":false,"parse_error":null,"exec_error":null,"case_error":%q}`+"\n",
				nullID(r.ID), "unable to encode result: "+err2.Error())
		}
	}
	return buf.Bytes()
}

// runCase evaluates one line under an optional wall-clock limit. When the
// limit is hit the evaluation goroutine is abandoned (Go cannot stop it).
func runCase(line []byte, traceparent string, timeout time.Duration) []byte {
	if timeout <= 0 {
		return encodeResult(evalLine(line, traceparent))
	}
	done := make(chan []byte, 1)
	go func() { done <- encodeResult(evalLine(line, traceparent)) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case b := <-done:
		return b
	case <-timer.C:
		var id json.RawMessage
		if c, err := decodeCase(line); err == nil {
			id = c.ID
		}
		return encodeResult(evalResult{
			ID:      nullID(id),
			evalRun: evalRun{ExecError: strPtr(fmt.Sprintf("timeout: evaluation did not finish within %v", timeout))},
		})
	}
}

func runEval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	workers := fs.Int("j", runtime.GOMAXPROCS(0), "number of cases evaluated concurrently (output order is always input order; use 1 for stateful functions such as count())")
	timeout := fs.Duration("timeout", 30*time.Second, "per-case wall-clock limit (0 = none)")
	traceparent := fs.String("traceparent", "", "default W3C traceparent attached to every message (a case's \"traceparent\" overrides it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cleanup, err := setupExampleEnv()
	if err != nil {
		return err
	}
	defer cleanup()

	return evalStream(os.Stdin, os.Stdout, *workers, *timeout, *traceparent)
}

// evalStream reads JSON Lines cases from in and writes one result line per
// non-blank input line to out, in input order, evaluating up to workers cases
// concurrently.
func evalStream(in io.Reader, out io.Writer, workers int, timeout time.Duration, traceparent string) error {
	if workers < 1 {
		workers = 1
	}
	jobs := make(chan evalJob, workers*4)
	outs := make(chan evalOut, workers*4)

	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				outs <- evalOut{seq: j.seq, line: runCase(j.line, traceparent, timeout)}
			}
		}()
	}

	// Writer: re-establish input order.
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(out, 1<<16)
		pending := map[int][]byte{}
		next := 0
		var werr error
		for o := range outs {
			pending[o.seq] = o.line
			for {
				b, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if werr == nil {
					_, werr = w.Write(b)
				}
			}
			// Flush whenever the ordered prefix is complete so that an
			// interactive driver (one case in, one result out) never stalls.
			if werr == nil && len(pending) == 0 {
				werr = w.Flush()
			}
		}
		if len(pending) > 0 {
			keys := make([]int, 0, len(pending))
			for k := range pending {
				keys = append(keys, k)
			}
			sort.Ints(keys)
			for _, k := range keys {
				if werr == nil {
					_, werr = w.Write(pending[k])
				}
			}
		}
		if werr == nil {
			werr = w.Flush()
		}
		writeErr <- werr
	}()

	r := bufio.NewReaderSize(in, 1<<16)
	seq := 0
	var readErr error
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			jobs <- evalJob{seq: seq, line: line}
			seq++
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
	}
	close(jobs)
	wg.Wait()
	close(outs)
	return errors.Join(readErr, <-writeErr)
}
