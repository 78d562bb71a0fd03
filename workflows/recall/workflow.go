package recall

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// TaskQueue is the task queue of recall workflows.
const TaskQueue = "serialhub-recall"

// WorkflowID is the workflow of a recall: one per recall id.
func WorkflowID(recallID string) string { return "recall-" + recallID }

// UpdateClose closes a recall (the compliance team, with a reason); QueryStatus answers where
// it stands.
const (
	UpdateClose = "close"
	QueryStatus = "status"
)

// Input names the recall; everything else is in PostgreSQL.
type Input struct {
	RecallID string
	// PollInterval is the first wait before looking at the acknowledgements again (default
	// 30 s), doubling up to MaxPollInterval (default 15 min).
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// ContinueAfter is how many looks one run takes before it continues as new (default 500,
	// or earlier when Temporal suggests it), so a recall open for months keeps a short history.
	ContinueAfter int
	// Carry is the state handed over by continue-as-new.
	Carry *State
}

// State is where a recall's workflow stands (query QueryStatus).
type State struct {
	RecallID    string    `json:"recall_id"`
	Status      Status    `json:"status"`
	Prepared    *Prepared `json:"prepared,omitempty"`
	Dispatched  bool      `json:"dispatched"`
	Progress    Progress  `json:"progress"`
	ClosedBy    string    `json:"closed_by,omitempty"`
	CloseReason string    `json:"close_reason,omitempty"`
	Looks       int       `json:"looks"` // in this run
	Runs        int       `json:"runs"`  // continue-as-new count
}

// Progress counts a recall's targets (partners' notices and EU Hub recalls) by outcome.
type Progress struct {
	Targets  int `json:"targets"`
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Failed   int `json:"failed"` // given up or cancelled: needs the compliance team
	InFlight int `json:"in_flight"`
}

// Done reports whether every target acknowledged.
func (p Progress) Done() bool { return p.Accepted == p.Targets }

// CloseRequest closes a recall (Update UpdateClose).
type CloseRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// FinishInput is a final status to record.
type FinishInput struct {
	RecallID string
	Status   Status
	By       string
	Reason   string
}

func (in *Input) defaults() {
	if in.PollInterval <= 0 {
		in.PollInterval = 30 * time.Second
	}
	if in.MaxPollInterval <= 0 {
		in.MaxPollInterval = 15 * time.Minute
	}
	if in.ContinueAfter <= 0 {
		in.ContinueAfter = 500
	}
}

// ErrTypeClosed is the error of a close refused because the recall is final already.
const ErrTypeClosed = "RecallClosed"

// Workflow carries one recall from decision to closure: prepare (affected packs, notices) →
// dispatch (an obligation per notice, an EU Hub recall per released lot) → look at the
// acknowledgements with durable timers until every target accepted (acknowledged) or the
// compliance team closes it.
func Workflow(ctx workflow.Context, in Input) (State, error) {
	in.defaults()
	var a *Activities
	st := State{RecallID: in.RecallID, Status: StatusPreparing}
	if in.Carry != nil {
		st = *in.Carry
		st.Looks = 0
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (State, error) { return st, nil }); err != nil {
		return st, err
	}
	quick := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateClose, func(ctx workflow.Context, req CloseRequest) error {
		if err := workflow.ExecuteActivity(quick, a.Finish, FinishInput{RecallID: in.RecallID, Status: StatusClosed,
			By: req.By, Reason: req.Reason}).Get(ctx, nil); err != nil {
			return err
		}
		if !st.Status.Final() { // acknowledged meanwhile: that stays
			st.Status, st.ClosedBy, st.CloseReason = StatusClosed, req.By, req.Reason
		}
		return nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req CloseRequest) error {
		if strings.TrimSpace(req.Reason) == "" {
			return errors.New("closing a recall needs a reason")
		}
		if st.Status.Final() {
			return fmt.Errorf("recall %s is %s already", in.RecallID, st.Status)
		}
		return nil
	}}); err != nil {
		return st, err
	}

	// Computing the packs of a large recall takes minutes; retried without end (PostgreSQL
	// down is an outage, not a reason to give up on a recall).
	long := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
	})
	closed := func() bool { return st.Status == StatusClosed }
	if st.Prepared == nil {
		var p Prepared
		if err := workflow.ExecuteActivity(long, a.Prepare, in.RecallID).Get(ctx, &p); err != nil {
			return st, err
		}
		st.Prepared = &p
	}
	if !st.Dispatched && !closed() {
		if err := workflow.ExecuteActivity(long, a.Dispatch, in.RecallID).Get(ctx, nil); err != nil {
			return st, err
		}
		st.Dispatched = true
		if !closed() {
			st.Status = StatusNotifying
		}
	}
	wait := in.PollInterval
	for !closed() {
		if err := workflow.ExecuteActivity(quick, a.Progress, in.RecallID).Get(ctx, &st.Progress); err != nil {
			return st, err
		}
		st.Looks++
		if st.Progress.Done() && !closed() {
			if err := workflow.ExecuteActivity(quick, a.Finish, FinishInput{RecallID: in.RecallID, Status: StatusAcknowledged,
				By: "workflow", Reason: "every target acknowledged"}).Get(ctx, nil); err != nil {
				return st, err
			}
			st.Status = StatusAcknowledged
			break
		}
		if st.Looks >= in.ContinueAfter || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return st, err
			}
			if closed() {
				break
			}
			next := in
			st.Runs++
			next.Carry = &st
			return st, workflow.NewContinueAsNewError(ctx, Workflow, next)
		}
		if _, err := workflow.AwaitWithTimeout(ctx, wait, closed); err != nil {
			return st, err
		}
		wait = min(wait*2, in.MaxPollInterval)
	}
	// A close Update may still be recording itself: let it finish before the run ends.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return st, err
	}
	return st, nil
}
