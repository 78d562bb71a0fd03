// Package ingest is the workflow that turns a stored upload into recorded serials and
// analytics facts. Its one activity, Process, checks the document against the business rules
// and applies the accepted events in chunks, each committed with its effects, heartbeating
// where it stands; a worker killed midway is replaced by a retry that resumes after the last
// committed chunk, so nothing is lost or doubled. Hooks (activities named in the input, such
// as the submissions' obligation hook) run after a processed document.
package ingest

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/serialhub/serialhub/schemas/domain"
)

// DefaultTaskQueue is the task queue of ingest workflows and activities.
const DefaultTaskQueue = "serialhub-ingest"

// WorkflowID is the workflow ID for a receipt's processing attempt: one run per attempt,
// ever. Attempt 1 keeps the skeleton's ID.
func WorkflowID(receiptID string, attempt int) string {
	if attempt <= 1 {
		return "ingest-" + receiptID
	}
	return "ingest-" + receiptID + "-" + itoa(attempt)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Input names the document to ingest; the document itself stays in PostgreSQL.
type Input struct {
	ReceiptID string
	// Hooks are activities (by registered name, taking the receipt id) run after the
	// document is processed, e.g. the submissions' CreateObligations.
	Hooks []string `json:",omitempty"`
	// HeartbeatTimeout is how soon a dead worker's activity is retried elsewhere; 0: 30 s.
	HeartbeatTimeout time.Duration `json:",omitempty"`
}

// Result is what the ingest did.
type Result struct {
	Status   domain.ReceiptStatus
	Events   int
	Serials  int
	Rejected int // events in the exception queue
	Rows     int // analytics rows published
	Errors   []string
}

// ErrTypeInvalid is the application error type of documents that cannot be processed as
// they are; retrying does not help.
const ErrTypeInvalid = "InvalidDocument"

// Workflow ingests one document.
func Workflow(ctx workflow.Context, in Input) (Result, error) {
	hb := in.HeartbeatTimeout
	if hb <= 0 {
		hb = 30 * time.Second
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    hb,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{ErrTypeInvalid},
		},
	})
	var a *Activities
	var p ProcessResult
	if err := workflow.ExecuteActivity(ctx, a.Process, in.ReceiptID).Get(ctx, &p); err != nil {
		return Result{}, err
	}
	res := Result(p)
	if p.Status != domain.StatusProcessed {
		return res, nil
	}
	for _, h := range in.Hooks {
		if err := workflow.ExecuteActivity(ctx, h, in.ReceiptID).Get(ctx, nil); err != nil {
			return res, err
		}
	}
	return res, nil
}
