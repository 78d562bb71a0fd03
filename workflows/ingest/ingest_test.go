package ingest

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/serialhub/serialhub/schemas/domain"
)

// TestWorkflow checks the workflow's logic in Temporal's test environment: a processed
// document is published, a rejected one is not.
func TestWorkflow(t *testing.T) {
	tests := []struct {
		name    string
		applied ApplyResult
		publish bool
		want    Result
	}{
		{"processed", ApplyResult{Events: 3, Serials: 13}, true,
			Result{Status: domain.StatusProcessed, Events: 3, Serials: 13, Rows: 26}},
		{"rejected", ApplyResult{Rejected: true, Errors: []string{"event 0: bad"}}, false,
			Result{Status: domain.StatusRejected, Errors: []string{"event 0: bad"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *Activities
			env.RegisterActivity(a)
			env.OnActivity(a.Apply, mock.Anything, "r1").Return(tt.applied, nil).Once()
			if tt.publish {
				env.OnActivity(a.Publish, mock.Anything, "r1").Return(26, nil).Once()
			}
			env.ExecuteWorkflow(Workflow, Input{ReceiptID: "r1"})
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow: completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			var got Result
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want.Status || got.Events != tt.want.Events || got.Rows != tt.want.Rows || len(got.Errors) != len(tt.want.Errors) {
				t.Fatalf("result = %+v, want %+v", got, tt.want)
			}
			env.AssertExpectations(t)
		})
	}
}
