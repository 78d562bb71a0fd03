package recall

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// TestWorkflowLogic checks the workflow's decisions in Temporal's test environment (time is
// skipped: a recall acknowledged after days, or closed by hand, costs nothing).
func TestWorkflowLogic(t *testing.T) {
	inFlight := Progress{Targets: 3, Accepted: 1, InFlight: 2}
	done := Progress{Targets: 3, Accepted: 3}
	stuck := Progress{Targets: 3, Accepted: 2, Rejected: 1}
	tests := []struct {
		name       string
		progress   []Progress // successive answers; the last repeats
		close      *CloseRequest
		closeAt    time.Duration
		after      int // ContinueAfter
		wantStatus Status
		wantClose  bool // Finish(closed) called
		wantCAN    bool
		minElapsed time.Duration
		maxLooks   int
	}{
		{name: "acknowledged at once", progress: []Progress{done}, wantStatus: StatusAcknowledged},
		{name: "acknowledged after days", progress: []Progress{inFlight, inFlight, inFlight, inFlight, inFlight, inFlight, inFlight,
			inFlight, inFlight, inFlight, inFlight, inFlight, inFlight, inFlight, inFlight, inFlight, done},
			wantStatus: StatusAcknowledged, minElapsed: 2 * time.Hour},
		{name: "nothing to notify", progress: []Progress{{}}, wantStatus: StatusAcknowledged},
		{name: "rejected notice, closed by hand after 3 days", progress: []Progress{stuck},
			close: &CloseRequest{Reason: "partner informed by phone", By: "QA lead"}, closeAt: 72 * time.Hour,
			wantStatus: StatusClosed, wantClose: true, minElapsed: 72 * time.Hour},
		{name: "continues as new", progress: []Progress{inFlight}, after: 3, wantCAN: true, maxLooks: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *Activities
			env.RegisterActivity(a)
			env.OnActivity(a.Prepare, mock.Anything, "RC-1").Return(Prepared{Source: "clickhouse+postgres", Packs: 10, Shipped: 8,
				Partners: []string{"P1", "P2"}}, nil).Once()
			env.OnActivity(a.Dispatch, mock.Anything, "RC-1").Return(nil).Once()
			looks := 0
			env.OnActivity(a.Progress, mock.Anything, "RC-1").Return(func(context.Context, string) (Progress, error) {
				p := tt.progress[min(looks, len(tt.progress)-1)]
				looks++
				return p, nil
			})
			var finished []FinishInput
			env.OnActivity(a.Finish, mock.Anything, mock.Anything).Return(func(_ context.Context, in FinishInput) error {
				finished = append(finished, in)
				return nil
			})
			if tt.close != nil {
				env.RegisterDelayedCallback(func() {
					env.UpdateWorkflow(UpdateClose, "bad", &testsuite.TestUpdateCallback{
						OnAccept: func() { t.Error("close without a reason accepted") },
						OnReject: func(error) {}, OnComplete: func(any, error) {},
					}, CloseRequest{})
					env.UpdateWorkflow(UpdateClose, "c1", &testsuite.TestUpdateCallback{
						OnAccept: func() {}, OnReject: func(err error) { t.Errorf("close rejected: %v", err) },
						OnComplete: func(_ any, err error) {
							if err != nil {
								t.Errorf("close: %v", err)
							}
						},
					}, *tt.close)
				}, tt.closeAt)
			}
			start := env.Now()
			env.ExecuteWorkflow(Workflow, Input{RecallID: "RC-1", PollInterval: 10 * time.Second, MaxPollInterval: 15 * time.Minute,
				ContinueAfter: tt.after})
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			err := env.GetWorkflowError()
			if tt.wantCAN {
				var can *workflow.ContinueAsNewError
				if !errors.As(err, &can) {
					t.Fatalf("err = %v, want continue-as-new", err)
				}
				if looks != tt.maxLooks {
					t.Errorf("looks in the first run: %d, want %d", looks, tt.maxLooks)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var st State
			if err := env.GetWorkflowResult(&st); err != nil {
				t.Fatal(err)
			}
			if st.Status != tt.wantStatus || st.Prepared == nil || st.Prepared.Packs != 10 || !st.Dispatched {
				t.Errorf("state: %+v", st)
			}
			if len(finished) != 1 || finished[0].Status != tt.wantStatus {
				t.Fatalf("finished: %+v", finished)
			}
			if tt.wantClose && (finished[0].Reason != tt.close.Reason || finished[0].By != tt.close.By || st.CloseReason != tt.close.Reason) {
				t.Errorf("close recorded as %+v, state %+v", finished[0], st)
			}
			if el := env.Now().Sub(start); el < tt.minElapsed {
				t.Errorf("elapsed %s, want at least %s", el, tt.minElapsed)
			}
		})
	}
}

// TestContinueAsNewCarriesState: a run continued as new neither prepares nor dispatches again
// and finishes when the acknowledgements are in.
func TestContinueAsNewCarriesState(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *Activities
	env.RegisterActivity(a)
	env.OnActivity(a.Progress, mock.Anything, "RC-1").Return(Progress{Targets: 2, Accepted: 2}, nil).Once()
	env.OnActivity(a.Finish, mock.Anything, mock.Anything).Return(nil).Once()
	carry := &State{RecallID: "RC-1", Status: StatusNotifying, Prepared: &Prepared{Packs: 4, Partners: []string{"P1"}},
		Dispatched: true, Looks: 500, Runs: 1}
	env.ExecuteWorkflow(Workflow, Input{RecallID: "RC-1", Carry: carry})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st State
	_ = env.GetWorkflowResult(&st)
	if st.Status != StatusAcknowledged || st.Runs != 1 || st.Looks != 1 {
		t.Errorf("state: %+v", st)
	}
	env.AssertExpectations(t)
}
