package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/warpstreamlabs/bento/public/bloblang"
	"github.com/warpstreamlabs/bento/public/service"
)

// Environment variables and their contents exactly as Bento's own example
// tests (internal/impl/{pure,io}/bloblang_examples_test.go) provide them.
const (
	envTestFile         = "BENTO_TEST_BLOBLANG_FILE"
	envTestSchemaFile   = "BENTO_TEST_BLOBLANG_SCHEMA_FILE"
	testFileContent     = `{"foo":"bar"}`
	testSchemaContent   = "\n{\n  \"type\":\"object\",\n  \"properties\":{\n    \"foo\":{\n      \"type\":\"string\"\n    }\n  }\n}"
	exampleTraceparent  = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	modeMapping         = "mapping"
	modeMutation        = "mutation"
	panicPrefix         = "panic: "
	deletedExpectation  = "<Message deleted>"
	errorExpectationPre = "Error(\"" // expected error text is r[1][7:len-2], as in Bento's tests
)

// setupExampleEnv makes sure the environment variables that documented
// examples read are set, creating the temporary files they point at when the
// caller has not provided its own. The returned function removes any file it
// created.
func setupExampleEnv() (cleanup func(), err error) {
	var created []string
	cleanup = func() {
		for _, p := range created {
			_ = os.Remove(p)
		}
	}
	for _, v := range []struct{ key, content string }{
		{envTestFile, testFileContent},
		{envTestSchemaFile, testSchemaContent},
	} {
		if _, ok := os.LookupEnv(v.key); ok {
			continue
		}
		f, ferr := os.CreateTemp("", "bloblang_oracle_*.json")
		if ferr != nil {
			cleanup()
			return func() {}, ferr
		}
		created = append(created, f.Name())
		_, werr := f.WriteString(v.content)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			cleanup()
			return func() {}, errors.Join(werr, cerr)
		}
		if serr := os.Setenv(v.key, f.Name()); serr != nil {
			cleanup()
			return func() {}, serr
		}
	}
	return cleanup, nil
}

// newMessage builds a message the way a Bento input would hand it to the
// pipeline: raw payload bytes plus string (or typed) metadata, and optionally
// a tracing span extracted from a W3C traceparent header.
func newMessage(payload []byte, meta map[string]any, traceparent string) *service.Message {
	msg := service.NewMessage(payload)
	for k, v := range meta {
		if s, ok := v.(string); ok {
			msg.MetaSet(k, s)
		} else {
			msg.MetaSetMut(k, v)
		}
	}
	if traceparent != "" {
		carrier := propagation.MapCarrier{"traceparent": traceparent}
		ctx := otel.GetTextMapPropagator().Extract(context.Background(), carrier)
		ctx, _ = noop.NewTracerProvider().Tracer("bloblang-oracle").Start(ctx, "eval")
		msg = msg.WithContext(ctx)
	}
	return msg
}

// execute runs a parsed mapping on a message exactly as the `mapping`
// processor (BloblangQuery) or the `mutation` processor (BloblangMutate)
// does. A nil message with a nil error means the message was deleted. Panics
// are converted into errors prefixed with "panic: ".
func execute(exec *bloblang.Executor, msg *service.Message, mode string) (out *service.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			out = nil
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	if mode == modeMutation {
		return msg.BloblangMutate(exec)
	}
	return msg.BloblangQuery(exec)
}

// parse parses a mapping with the global environment (the one the pipeline
// processors use), converting panics into errors.
func parse(mapping string) (exec *bloblang.Executor, err error) {
	defer func() {
		if r := recover(); r != nil {
			exec = nil
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return bloblang.Parse(mapping)
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string {
	return fmt.Sprintf("%s%v", panicPrefix, p.value)
}

func validMode(mode string) error {
	switch mode {
	case "", modeMapping, modeMutation:
		return nil
	}
	return fmt.Errorf("unknown mode %q (expected %q or %q)", mode, modeMapping, modeMutation)
}
