package ingest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/serialhub/serialhub/schemas/domain"
)

// TestWorkflow checks the workflow's logic in Temporal's test environment: a processed
// document runs the hooks, a rejected one does not.
func TestWorkflow(t *testing.T) {
	tests := []struct {
		name   string
		result ProcessResult
		hooks  bool
	}{
		{"processed", ProcessResult{Status: domain.StatusProcessed, Events: 3, Serials: 13, Rows: 26}, true},
		{"rejected", ProcessResult{Status: domain.StatusRejected, Rejected: 1, Errors: []string{"[gtin_unknown] event 0: x"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *Activities
			env.RegisterActivity(a)
			hooked := 0
			env.RegisterActivityWithOptions(func(_ context.Context, id string) error {
				if id == "r1" {
					hooked++
				}
				return nil
			}, activity.RegisterOptions{Name: "Hook"})
			env.OnActivity(a.Process, mock.Anything, "r1").Return(tt.result, nil).Once()
			env.ExecuteWorkflow(Workflow, Input{ReceiptID: "r1", Hooks: []string{"Hook"}})
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow: completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			var got Result
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.result.Status || got.Events != tt.result.Events || got.Rows != tt.result.Rows ||
				got.Rejected != tt.result.Rejected || len(got.Errors) != len(tt.result.Errors) {
				t.Fatalf("result = %+v, want %+v", got, tt.result)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.hooks]; hooked != want {
				t.Fatalf("hook ran %d times, want %d", hooked, want)
			}
			env.AssertExpectations(t)
		})
	}
}

func TestWorkflowID(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    string
	}{{0, "ingest-r"}, {1, "ingest-r"}, {2, "ingest-r-2"}, {12, "ingest-r-12"}} {
		if got := WorkflowID("r", tt.attempt); got != tt.want {
			t.Errorf("WorkflowID(r, %d) = %q, want %q", tt.attempt, got, tt.want)
		}
	}
}
