// Package ingest is the workflow that turns a stored upload into recorded serials and
// analytics facts: Apply (decode, check, write events and serial states to PostgreSQL in one
// transaction) and then Publish (flatten the recorded events into ClickHouse). Both activities
// are idempotent, so retries and a worker killed midway never double anything.
package ingest

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/serialhub/serialhub/schemas/domain"
)

// DefaultTaskQueue is the task queue of ingest workflows and activities.
const DefaultTaskQueue = "serialhub-ingest"

// WorkflowID is the workflow ID for a receipt: one ingest per document, ever.
func WorkflowID(receiptID string) string { return "ingest-" + receiptID }

// Input names the document to ingest; the document itself stays in PostgreSQL.
type Input struct {
	ReceiptID string
}

// Result is what the ingest did.
type Result struct {
	Status  domain.ReceiptStatus
	Events  int
	Serials int
	Rows    int // analytics rows published
	Errors  []string
}

// ErrTypeInvalid is the application error type of documents that cannot be processed as
// they are; retrying does not help.
const ErrTypeInvalid = "InvalidDocument"

// Workflow ingests one document.
func Workflow(ctx workflow.Context, in Input) (Result, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{ErrTypeInvalid},
		},
	})
	var a *Activities
	var applied ApplyResult
	if err := workflow.ExecuteActivity(ctx, a.Apply, in.ReceiptID).Get(ctx, &applied); err != nil {
		return Result{}, err
	}
	if applied.Rejected {
		return Result{Status: domain.StatusRejected, Errors: applied.Errors}, nil
	}
	var rows int
	if err := workflow.ExecuteActivity(ctx, a.Publish, in.ReceiptID).Get(ctx, &rows); err != nil {
		return Result{}, err
	}
	return Result{Status: domain.StatusProcessed, Events: applied.Events, Serials: applied.Serials, Rows: rows}, nil
}
