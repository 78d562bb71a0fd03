package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TaskQueue is the task queue of alert investigations.
const TaskQueue = "serialhub-alerts"

// WorkflowID is the investigation of an alert: one per hub alert id.
func WorkflowID(alertID string) string { return "alert-" + alertID }

// Input names the alert to investigate.
type Input struct {
	AlertID string
	// Recheck is how long to wait before looking again while the pack's upload is in flight
	// (default 1 min), at most MaxRechecks times (default 10).
	Recheck     time.Duration
	MaxRechecks int
}

// Investigation is what an activity read: the alert and our facts.
type Investigation struct {
	Alert Alert
	Facts Facts
}

// RecordInput is a finding to store.
type RecordInput struct {
	AlertID string
	Finding Finding
	Facts   Facts
}

// Workflow investigates one alert: read our facts, classify (here, deterministically), store
// the finding; an upload still in flight is looked at again until it settles.
func Workflow(ctx workflow.Context, in Input) (Finding, error) {
	if in.Recheck <= 0 {
		in.Recheck = time.Minute
	}
	if in.MaxRechecks <= 0 {
		in.MaxRechecks = 10
	}
	var a *Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for i := 0; ; i++ {
		var inv Investigation
		if err := workflow.ExecuteActivity(ctx, a.Facts, in.AlertID).Get(ctx, &inv); err != nil {
			return Finding{}, err
		}
		f := Classify(inv.Alert, inv.Facts)
		if err := workflow.ExecuteActivity(ctx, a.Record, RecordInput{in.AlertID, f, inv.Facts}).Get(ctx, nil); err != nil {
			return Finding{}, err
		}
		if f.Cause != CauseInFlight || i >= in.MaxRechecks {
			return f, nil
		}
		if err := workflow.Sleep(ctx, in.Recheck); err != nil {
			return f, err
		}
	}
}

// Activities read facts and record findings.
type Activities struct{ Store *Store }

// Facts reads the alert and our facts about it.
func (a *Activities) Facts(ctx context.Context, alertID string) (Investigation, error) {
	r, err := a.Store.Get(ctx, alertID)
	if err != nil {
		return Investigation{}, err
	}
	f, err := a.Store.Facts(ctx, r)
	if err != nil {
		return Investigation{}, err
	}
	return Investigation{Alert: Alert{Code: r.Code, Lot: r.Lot, Expiry: r.Expiry, Serial: r.Serial}, Facts: f}, nil
}

// Record stores a finding.
func (a *Activities) Record(ctx context.Context, in RecordInput) error {
	return a.Store.SetFinding(ctx, in.AlertID, in.Finding, in.Facts)
}

// Starter starts investigations.
type Starter struct {
	Client   client.Client
	Queue    string // default TaskQueue
	Defaults Input
}

// Start starts the investigation of an alert unless it ran already.
func (s Starter) Start(ctx context.Context, alertID string) error {
	q := s.Queue
	if q == "" {
		q = TaskQueue
	}
	in := s.Defaults
	in.AlertID = alertID
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: WorkflowID(alertID), TaskQueue: q,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY}, Workflow, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start investigation of %s: %w", alertID, err)
	}
	return nil
}

// NewWorker returns the worker of investigations on queue.
func NewWorker(c client.Client, queue string, acts *Activities) worker.Worker {
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(Workflow)
	w.RegisterActivity(acts)
	return w
}
