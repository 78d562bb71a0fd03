package submission

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/serialhub/serialhub/gateways"
)

// TestWorkflowLogic checks the workflow's decisions in Temporal's test environment (time is
// skipped, so waits of hours cost nothing).
func TestWorkflowLogic(t *testing.T) {
	accepted := gateways.Answer{Outcome: gateways.Accepted}
	pending := gateways.Answer{Outcome: gateways.Pending, AckRef: "job-1"}
	retryLater := temporal.NewApplicationErrorWithOptions("deliver: HTTP 503", ErrTypeRetryLater,
		temporal.ApplicationErrorOptions{NextRetryDelay: 2 * time.Hour})
	tests := []struct {
		name       string
		deliver    []any // successive results: gateways.Answer or error
		poll       []gateways.Answer
		ack        *Ack // sent as an Update one minute in
		wantStatus gateways.Status
		wantErr    string // application error type
		minElapsed time.Duration
	}{
		{name: "accepted", deliver: []any{accepted}, wantStatus: gateways.StatusAccepted},
		{name: "retry-after honoured", deliver: []any{retryLater, accepted}, wantStatus: gateways.StatusAccepted, minElapsed: 2 * time.Hour},
		{name: "outage then back", deliver: []any{errors.New("connection refused"), errors.New("connection refused"), accepted},
			wantStatus: gateways.StatusAccepted, minElapsed: 30 * time.Second},
		{name: "rejected", deliver: []any{gateways.Answer{Outcome: gateways.Rejected, Reasons: []string{"bad NDC"}}},
			wantStatus: gateways.StatusRejected, wantErr: ErrTypeRejected},
		{name: "polled to acceptance", deliver: []any{pending}, poll: []gateways.Answer{pending, accepted}, wantStatus: gateways.StatusAccepted},
		{name: "polled to rejection", deliver: []any{pending}, poll: []gateways.Answer{{Outcome: gateways.Rejected, Reasons: []string{"schema"}}},
			wantStatus: gateways.StatusRejected, wantErr: ErrTypeRejected},
		{name: "receiver lost the job", deliver: []any{pending, accepted}, poll: []gateways.Answer{{Outcome: gateways.Resend}},
			wantStatus: gateways.StatusAccepted},
		{name: "ack by update", deliver: []any{pending}, ack: &Ack{Outcome: gateways.Accepted, Ref: "MSG1"}, wantStatus: gateways.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var a *Activities
			env.RegisterActivity(a)
			env.OnActivity(a.Build, mock.Anything, "ob").Return(int64(1), nil).Once()
			env.OnActivity(a.Sign, mock.Anything, SignInput{ObligationID: "ob", PayloadID: 1}).Return(int64(2), nil).Once()
			for _, r := range tt.deliver {
				switch v := r.(type) {
				case error:
					env.OnActivity(a.Deliver, mock.Anything, DeliverInput{ObligationID: "ob", PayloadID: 2}).Return(gateways.Answer{}, v).Once()
				case gateways.Answer:
					env.OnActivity(a.Deliver, mock.Anything, DeliverInput{ObligationID: "ob", PayloadID: 2}).Return(v, nil).Once()
				}
			}
			for _, p := range tt.poll {
				env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(p, nil).Once()
			}
			var finished FinishInput
			env.OnActivity(a.Finish, mock.Anything, mock.Anything).Return(func(_ context.Context, in FinishInput) error {
				finished = in
				return nil
			}).Once()
			in := Input{ObligationID: "ob", Gateway: "dscsa", PollInterval: time.Minute}
			if tt.ack != nil {
				in.PollInterval = time.Hour
				env.RegisterDelayedCallback(func() {
					env.UpdateWorkflow(UpdateAck, "u1", &testsuite.TestUpdateCallback{
						OnReject: func(err error) { t.Errorf("ack rejected: %v", err) },
					}, *tt.ack)
				}, time.Minute)
			}
			start := env.Now()
			env.ExecuteWorkflow(Workflow, in)
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			err := env.GetWorkflowError()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("workflow error: %v", err)
			}
			if tt.wantErr != "" && !isType(err, tt.wantErr) {
				t.Fatalf("workflow error = %v, want type %s", err, tt.wantErr)
			}
			if finished.Status != tt.wantStatus {
				t.Fatalf("finished %s, want %s", finished.Status, tt.wantStatus)
			}
			if el := env.Now().Sub(start); el < tt.minElapsed {
				t.Fatalf("elapsed %s, want at least %s", el, tt.minElapsed)
			}
			env.AssertExpectations(t)
		})
	}
}
