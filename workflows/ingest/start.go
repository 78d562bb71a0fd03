package ingest

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

	"github.com/serialhub/serialhub/sites"
)

// Starter starts ingest workflows. It implements sites.IngestStarter.
type Starter struct {
	Client    client.Client
	TaskQueue string
	Hooks     []string // activities run after a processed document (Input.Hooks)
}

// StartIngest starts the first processing of a receipt.
func (s Starter) StartIngest(ctx context.Context, receiptID string) error {
	return s.StartAttempt(ctx, receiptID, 1)
}

// StartAttempt starts processing attempt n of a receipt unless it already ran or runs: the
// workflow ID is the receipt's and the attempt's, and only a failed run may be repeated.
func (s Starter) StartAttempt(ctx context.Context, receiptID string, attempt int) error {
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    WorkflowID(receiptID, attempt),
		TaskQueue:             s.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		RetryPolicy:           &temporal.RetryPolicy{MaximumAttempts: 1},
	}, Workflow, Input{ReceiptID: receiptID, Hooks: s.Hooks})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start ingest %s: %w", receiptID, err)
	}
	return nil
}

// PendingLister lists documents acknowledged but not finished, with their attempt.
type PendingLister interface {
	Pending(ctx context.Context, age time.Duration) ([]sites.PendingDocument, error)
}

// Sweep starts the ingest of every document acknowledged longer ago than age and not yet
// finished: the safety net for a hub that died between storing a document and starting its
// workflow. Starting an ingest that runs already is a no-op.
func Sweep(ctx context.Context, docs PendingLister, s Starter, age time.Duration, log *slog.Logger) error {
	ids, err := docs.Pending(ctx, age)
	if err != nil {
		return err
	}
	for _, p := range ids {
		if err := s.StartAttempt(ctx, p.ReceiptID, p.Attempt); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		log.InfoContext(ctx, "pending documents swept", "count", len(ids))
	}
	return nil
}
