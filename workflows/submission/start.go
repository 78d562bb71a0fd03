package submission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Starter starts, cancels and acknowledges submission workflows.
type Starter struct {
	Client client.Client
	// Input fields applied to every start (tests shorten intervals); ObligationID and
	// Gateway are set per start.
	Defaults Input
	// Queue, when set, replaces every gateway's task queue (tests run their own worker).
	Queue string
}

func (s Starter) queue(gateway string) string {
	if s.Queue != "" {
		return s.Queue
	}
	return TaskQueue(gateway)
}

// Start starts the submission of an obligation unless it runs or succeeded: the workflow
// ID is the obligation's, and only a failed, cancelled or terminated run may be repeated.
func (s Starter) Start(ctx context.Context, obligationID, gateway string) error {
	in := s.Defaults
	in.ObligationID, in.Gateway = obligationID, gateway
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(obligationID),
		TaskQueue:                s.queue(gateway),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		RetryPolicy:              &temporal.RetryPolicy{MaximumAttempts: 1},
	}, Workflow, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start submission %s: %w", obligationID, err)
	}
	return nil
}

// Cancel asks a running submission to stop; it records itself cancelled.
func (s Starter) Cancel(ctx context.Context, obligationID string) error {
	err := s.Client.CancelWorkflow(ctx, WorkflowID(obligationID), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return domain.Errorf(domain.CodeConflict, "submission %s is not running", obligationID)
	}
	if err != nil {
		return fmt.Errorf("cancel submission %s: %w", obligationID, err)
	}
	return nil
}

// Acknowledge hands a receiver's acknowledgement to the waiting submission (Update "ack").
func (s Starter) Acknowledge(ctx context.Context, obligationID string, ack Ack) error {
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   WorkflowID(obligationID),
		UpdateName:   UpdateAck,
		UpdateID:     "ack-" + ack.Ref, // a repeated acknowledgement is one update
		Args:         []any{ack},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return domain.Errorf(domain.CodeConflict, "submission %s is not awaiting an acknowledgement", obligationID)
	}
	if err != nil {
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			return domain.Errorf(domain.CodeConflict, "%s", ae.Error())
		}
		return fmt.Errorf("acknowledge %s: %w", obligationID, err)
	}
	return nil
}

// PendingLister lists obligations derived but not started.
type PendingLister interface {
	PendingObligations(ctx context.Context, age time.Duration) ([][2]string, error)
}

// Sweep starts every obligation pending for longer than age: the safety net for a hook that
// died between recording an obligation and starting its workflow.
func Sweep(ctx context.Context, store PendingLister, s Starter, age time.Duration, log *slog.Logger) error {
	pend, err := store.PendingObligations(ctx, age)
	if err != nil {
		return err
	}
	for _, p := range pend {
		if err := s.Start(ctx, p[0], p[1]); err != nil {
			return err
		}
	}
	if len(pend) > 0 {
		log.InfoContext(ctx, "pending obligations swept", "count", len(pend))
	}
	return nil
}

// Limits are a gateway's concurrency and rate limits. The rate counts only the exchanges
// with the receiver (Deliver, Poll), which run on the gateway's exchange queue.
type Limits struct {
	Concurrent int     // activities at once per worker, on each of the two queues; default 8
	PerSecond  float64 // exchanges with the receiver per second across all workers of the gateway; default 20
}

// Worker runs one gateway's submissions: the workflows, builds, signatures and bookkeeping on
// the gateway's task queue, the exchanges with the receiver on its exchange queue (the one
// that is rate-limited).
type Worker struct {
	main, exchange worker.Worker
}

// NewWorker returns the workers of one gateway's task queue (TaskQueue(gateway)) and its
// exchange queue, with its limits.
func NewWorker(c client.Client, queue string, acts *Activities, lim Limits) *Worker {
	if lim.Concurrent <= 0 {
		lim.Concurrent = 8
	}
	if lim.PerSecond <= 0 {
		lim.PerSecond = 20
	}
	w := &Worker{
		main: worker.New(c, queue, worker.Options{MaxConcurrentActivityExecutionSize: lim.Concurrent}),
		// The server's limit holds across all workers of the queue but lets bursts through;
		// the worker's own (burst 1) spaces the requests each worker makes.
		exchange: worker.New(c, ExchangeQueue(queue), worker.Options{
			MaxConcurrentActivityExecutionSize: lim.Concurrent,
			TaskQueueActivitiesPerSecond:       lim.PerSecond,
			WorkerActivitiesPerSecond:          lim.PerSecond,
		}),
	}
	w.main.RegisterWorkflow(Workflow)
	// Every activity on both: runs started before the exchange queue deliver on the main one.
	w.main.RegisterActivity(acts)
	w.exchange.RegisterActivity(acts)
	return w
}

// Start starts both workers.
func (w *Worker) Start() error {
	if err := w.exchange.Start(); err != nil {
		return err
	}
	if err := w.main.Start(); err != nil {
		w.exchange.Stop()
		return err
	}
	return nil
}

// Stop stops both workers.
func (w *Worker) Stop() {
	w.main.Stop()
	w.exchange.Stop()
}
