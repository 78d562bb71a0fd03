package recall

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

// Service records recall decisions, starts and closes their workflows, and reads them.
type Service struct {
	Store  *Store
	Client client.Client
	Queue  string // default TaskQueue
	// Defaults are Input fields applied to every start (tests shorten intervals).
	Defaults Input
	Log      *slog.Logger
}

func (s *Service) queue() string {
	if s.Queue != "" {
		return s.Queue
	}
	return TaskQueue
}

// Start records a decision and starts its workflow. Repeating the same decision returns the
// recall and starts nothing new: the workflow ID is the recall's, and its reuse policy refuses
// a second run even after the first ended. Another decision under the same id is a conflict.
func (s *Service) Start(ctx context.Context, d Decision, keyID int64) (Recall, bool, error) {
	if err := d.Validate(); err != nil {
		return Recall{}, false, err
	}
	created, err := s.Store.Create(ctx, d, keyID)
	if err != nil {
		return Recall{}, false, err
	}
	if err := s.start(ctx, d.ID); err != nil {
		return Recall{}, created, err
	}
	if created && s.Log != nil {
		s.Log.InfoContext(ctx, "recall decided", "recall", d.ID, "gtin", d.GTIN, "lots", d.Lots, "class", d.Class,
			"decided_by", d.DecidedBy, "workflow_id", WorkflowID(d.ID))
	}
	r, err := s.Store.RecallWithTargets(ctx, d.ID)
	return r, created, err
}

func (s *Service) start(ctx context.Context, id string) error {
	in := s.Defaults
	in.RecallID = id
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(id),
		TaskQueue:                s.queue(),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, Workflow, in)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return domain.Errorf(domain.CodeUnavailable, "recall %s is recorded but its workflow did not start (it will be started by the worker's sweep): %v", id, err)
	}
	return nil
}

// Close closes a recall with a reason (Update "close"): the workflow records it and ends.
func (s *Service) Close(ctx context.Context, id, by, reason string) (Recall, error) {
	r, err := s.Store.Recall(ctx, id)
	if err != nil {
		return r, err
	}
	if r.Status.Final() {
		return r, domain.Errorf(domain.CodeConflict, "recall %s is %s already", id, r.Status)
	}
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   WorkflowID(id),
		UpdateName:   UpdateClose,
		Args:         []any{CloseRequest{Reason: reason, By: by}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var nf *serviceerror.NotFound
	var ae *temporal.ApplicationError
	switch {
	case errors.As(err, &nf):
		return r, domain.Errorf(domain.CodeConflict, "recall %s has no running workflow", id)
	case errors.As(err, &ae):
		return r, domain.Errorf(domain.CodeConflict, "%s", ae.Error())
	case err != nil:
		return r, fmt.Errorf("close recall %s: %w", id, err)
	}
	return s.Store.RecallWithTargets(ctx, id)
}

// Status asks the running workflow where it stands (query "status").
func (s *Service) Status(ctx context.Context, id string) (State, error) {
	var st State
	v, err := s.Client.QueryWorkflow(ctx, WorkflowID(id), "", QueryStatus)
	if err != nil {
		return st, fmt.Errorf("status of recall %s: %w", id, err)
	}
	return st, v.Get(&st)
}

// Sweep starts the workflow of every decision recorded longer than age ago whose workflow
// never got going (the API died between the insert and the start).
func (s *Service) Sweep(ctx context.Context, age time.Duration) error {
	ids, err := s.Store.Recorded(ctx, age)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.start(ctx, id); err != nil {
			return err
		}
	}
	if len(ids) > 0 && s.Log != nil {
		s.Log.InfoContext(ctx, "recorded recalls swept", "count", len(ids))
	}
	return nil
}

// NewWorker returns the worker of recall workflows on queue.
func NewWorker(c client.Client, queue string, acts *Activities) worker.Worker {
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(Workflow)
	w.RegisterActivity(acts)
	return w
}
