package main

// The typed contracts as the host sees them: GetContractRegistry's descriptors (parsed by the
// host's own resolver), the typed step.bento call the adapter makes with them, and a legacy
// (Struct) call over the same connection, as a host without contract support makes it.

import (
	"context"
	"errors"
	"fmt"

	"github.com/GoCodeAlone/workflow/module"
	"github.com/GoCodeAlone/workflow/plugin/external"
	pb "github.com/GoCodeAlone/workflow/plugin/external/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const bentoPkg = "workflow.plugin.bento.v1."

// strict is step.bento's output under its STRICT_PROTO contract: ProcessorStepOutput{result}.
func strict(result map[string]any) map[string]any { return map[string]any{"result": result} }

func contractsCheck(adapter *external.ExternalPluginAdapter) error {
	if err := adapter.ContractRegistryError(); err != nil {
		return fmt.Errorf("contract registry: %w", err)
	}
	reg := adapter.ContractRegistry()
	if reg == nil {
		return errors.New("no contract registry")
	}
	want := map[string]string{
		"module bento.stream": bentoPkg + "StreamModuleConfig",
		"module bento.input":  bentoPkg + "InputModuleConfig",
		"module bento.output": bentoPkg + "OutputModuleConfig",
		"module bento.broker": bentoPkg + "BrokerModuleConfig",
		"step step.bento":     bentoPkg + "ProcessorStepConfig",
		"trigger bento":       bentoPkg + "TriggerConfig",
	}
	got := map[string]string{}
	for _, c := range reg.Contracts {
		if c.Mode != pb.ContractMode_CONTRACT_MODE_STRICT_PROTO {
			return fmt.Errorf("contract %v is %v, want STRICT_PROTO", c, c.Mode)
		}
		switch c.Kind {
		case pb.ContractKind_CONTRACT_KIND_MODULE:
			got["module "+c.ModuleType] = c.ConfigMessage
		case pb.ContractKind_CONTRACT_KIND_STEP:
			got["step "+c.StepType] = c.ConfigMessage
			if c.InputMessage != bentoPkg+"ProcessorStepInput" || c.OutputMessage != bentoPkg+"ProcessorStepOutput" {
				return fmt.Errorf("step.bento input/output %q/%q", c.InputMessage, c.OutputMessage)
			}
		case pb.ContractKind_CONTRACT_KIND_TRIGGER:
			got["trigger "+c.TriggerType] = c.ConfigMessage
		}
	}
	if toJSON(got) != toJSON(want) {
		return fmt.Errorf("contracts %s, want %s", toJSON(got), toJSON(want))
	}
	return nil
}

// legacyStepCheck creates and runs step.bento with the Struct fields only, through the host's own
// RemoteStep without a contract: the flat output, as before typed contracts.
func legacyStepCheck(ctx context.Context, adapter *external.ExternalPluginAdapter) error {
	client := pb.NewPluginServiceClient(adapter.Conn())
	cfg := map[string]any{"processors": []any{map[string]any{"mapping": "root.sum = this.a + this.b"}}}
	s, err := structpb.NewStruct(cfg)
	if err != nil {
		return err
	}
	created, err := client.CreateStep(ctx, &pb.CreateStepRequest{Type: "step.bento", Name: "legacy", Config: s})
	if err != nil {
		return err
	}
	if created.Error != "" {
		return errors.New(created.Error)
	}
	step := external.NewRemoteStep("legacy", created.HandleId, client, cfg)
	res, err := step.Execute(ctx, module.NewPipelineContext(map[string]any{"a": 2, "b": 3}, nil))
	if err != nil {
		return err
	}
	if !jsonEqual(res.Output, map[string]any{"sum": 5}) {
		return fmt.Errorf("legacy output %s, want {\"sum\":5}", toJSON(res.Output))
	}
	return nil
}
