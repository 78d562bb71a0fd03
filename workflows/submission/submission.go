// Package submission is the workflow that carries one obligation (a report owed to one
// receiver) to an acknowledged receipt: build the payload (stored in PostgreSQL; the history
// carries its id) → sign → deliver → await the acknowledgement (polling, or the receiver's
// callback as the Update "ack") → record the receipt. Delivery is retried with backoff through
// outages of hours or days, a Retry-After becomes the next retry delay, and a rejection is
// final: recorded with its reasons for the compliance team and raised as a non-retryable
// failure. Every delivery carries the obligation id as idempotency key, so a retried or
// restarted delivery is never accepted twice.
//
// The package also holds the hook that derives obligations from an ingested document
// (CreateObligations), the starter and sweep, and the REST API of submissions.
package submission

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/serialhub/serialhub/gateways"
)

// TaskQueuePrefix + the gateway's name is the task queue of its submissions: one worker per
// gateway, with its own concurrency and rate limits.
const TaskQueuePrefix = "serialhub-submission-"

// TaskQueue returns the task queue of a gateway's submissions.
func TaskQueue(gateway string) string { return TaskQueuePrefix + gateway }

// ExchangeQueue is the task queue of the exchanges with the receiver (Deliver, Poll) of the
// submissions on queue: the rate-limited one.
func ExchangeQueue(queue string) string { return queue + "-exchange" }

// versionExchangeQueue guards the move of Deliver and Poll to the exchange queue.
const versionExchangeQueue = "exchange-queue"

// ObligationID is the business key of an obligation: gateway, subject (the shipping event
// id) and receiver, e.g. dscsa-urn:uuid:...-0399999999991.
func ObligationID(gateway, subject, partnerGLN string) string {
	return gateway + "-" + subject + "-" + partnerGLN
}

// WorkflowID is the workflow ID of an obligation's submission.
func WorkflowID(obligationID string) string { return "submission-" + obligationID }

// UpdateAck is the Update by which a receiver's acknowledgement reaches a waiting submission.
const UpdateAck = "ack"

// QueryStatus answers where the submission stands.
const QueryStatus = "status"

// Application error types.
const (
	ErrTypeRejected   = "SubmissionRejected" // the receiver refused the payload: final
	ErrTypeInvalid    = "InvalidObligation"  // the payload cannot be built as the data stands
	ErrTypeRetryLater = "RetryLater"         // the receiver asked to come back later
)

// Input names the obligation; everything else is in PostgreSQL.
type Input struct {
	ObligationID string
	Gateway      string
	// Deadline bounds the retries (schedule-to-close of each step); default 14 days.
	Deadline time.Duration
	// InitialInterval is the first retry delay; default 10 s (tests shorten it).
	InitialInterval time.Duration
	// PollInterval is the first wait for an acknowledgement; default 5 s, doubling to 10 min.
	PollInterval time.Duration
	// AttemptTimeout bounds one attempt of a step; default 10 min.
	AttemptTimeout time.Duration
	// HeartbeatTimeout is how soon a delivery on a dead worker is retried elsewhere;
	// default 30 s.
	HeartbeatTimeout time.Duration
}

// Result is the receipt of a finished submission.
type Result struct {
	Status  gateways.Status
	Reasons []string
	AckRef  string
}

// Ack is an acknowledgement a receiver sends back (Update UpdateAck).
type Ack struct {
	Outcome gateways.Outcome `json:"outcome"` // accepted or rejected
	Reasons []string         `json:"reasons,omitempty"`
	Ref     string           `json:"ref,omitempty"` // the receiver's message id
}

func (in *Input) defaults() {
	if in.Deadline <= 0 {
		in.Deadline = 14 * 24 * time.Hour
	}
	if in.InitialInterval <= 0 {
		in.InitialInterval = 10 * time.Second
	}
	if in.PollInterval <= 0 {
		in.PollInterval = 5 * time.Second
	}
	if in.AttemptTimeout <= 0 {
		in.AttemptTimeout = 10 * time.Minute
	}
	if in.HeartbeatTimeout <= 0 {
		in.HeartbeatTimeout = 30 * time.Second
	}
}

// Workflow submits one obligation.
func Workflow(ctx workflow.Context, in Input) (res Result, err error) {
	in.defaults()
	var a *Activities
	status := gateways.StatusBuilding
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (gateways.Status, error) { return status, nil }); err != nil {
		return res, err
	}
	var ack *Ack
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAck, func(ctx workflow.Context, in Ack) error {
		ack = &in
		return nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in Ack) error {
		if in.Outcome != gateways.Accepted && in.Outcome != gateways.Rejected {
			return fmt.Errorf("ack outcome must be accepted or rejected, not %q", in.Outcome)
		}
		if status != gateways.StatusAwaitingAck && status != gateways.StatusDelivering {
			return fmt.Errorf("submission is %s, not awaiting an acknowledgement", status)
		}
		return nil
	}}); err != nil {
		return res, err
	}

	// Retries without a maximum count but within the deadline: a partner down for a day is
	// caught up when it is back; only the deadline gives up.
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    in.AttemptTimeout,
		HeartbeatTimeout:       in.HeartbeatTimeout,
		ScheduleToCloseTimeout: in.Deadline,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        in.InitialInterval,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Hour,
			NonRetryableErrorTypes: []string{ErrTypeRejected, ErrTypeInvalid},
		},
	})
	finishCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	finish := func(ctx workflow.Context, st gateways.Status, reasons []string, ackRef, errText string) error {
		return workflow.ExecuteActivity(ctx, a.Finish, FinishInput{ObligationID: in.ObligationID, Status: st,
			Reasons: reasons, AckRef: ackRef, Error: errText}).Get(ctx, nil)
	}
	defer func() {
		// Cancelled (submissions cancel) or given up: say so in PostgreSQL, in a context
		// that outlives the cancellation.
		if err == nil {
			return
		}
		var st gateways.Status
		switch {
		case temporal.IsCanceledError(err):
			st = gateways.StatusCancelled
		case isType(err, ErrTypeRejected):
			return // recorded already
		default:
			st = gateways.StatusFailed
		}
		dctx, _ := workflow.NewDisconnectedContext(finishCtx)
		_ = finish(dctx, st, nil, "", errText(err))
	}()

	var built, signed int64
	if err := workflow.ExecuteActivity(ctx, a.Build, in.ObligationID).Get(ctx, &built); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(ctx, a.Sign, SignInput{ObligationID: in.ObligationID, PayloadID: built}).Get(ctx, &signed); err != nil {
		return res, err
	}
	// Exchanges with the receiver (Deliver, Poll) run on the gateway's exchange queue, whose
	// worker alone carries the gateway's rate limit: the limit counts requests to the receiver,
	// not builds, signatures and bookkeeping. Runs started before this change keep one queue.
	xctx := ctx
	if workflow.GetVersion(ctx, versionExchangeQueue, workflow.DefaultVersion, 1) >= 1 {
		xctx = workflow.WithTaskQueue(ctx, ExchangeQueue(workflow.GetInfo(ctx).TaskQueueName))
	}
	for {
		status = gateways.StatusDelivering
		var ans gateways.Answer
		if err := workflow.ExecuteActivity(xctx, a.Deliver, DeliverInput{ObligationID: in.ObligationID, PayloadID: signed}).Get(ctx, &ans); err != nil {
			return res, err
		}
		wait := in.PollInterval
		for ans.Outcome == gateways.Pending {
			status = gateways.StatusAwaitingAck
			if ans.RetryAfter > 0 {
				wait = ans.RetryAfter
			}
			ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return ack != nil })
			if err != nil {
				return res, err
			}
			if ok {
				ans = gateways.Answer{Outcome: ack.Outcome, Reasons: ack.Reasons, AckRef: firstNonEmpty(ack.Ref, ans.AckRef)}
				break
			}
			ref := ans.AckRef
			if err := workflow.ExecuteActivity(xctx, a.Poll, PollInput{ObligationID: in.ObligationID, AckRef: ref}).Get(ctx, &ans); err != nil {
				return res, err
			}
			if ans.AckRef == "" {
				ans.AckRef = ref
			}
			wait = min(wait*2, 10*time.Minute)
		}
		switch ans.Outcome {
		case gateways.Accepted:
			if err := finish(finishCtx, gateways.StatusAccepted, ans.Reasons, ans.AckRef, ""); err != nil {
				return res, err
			}
			return Result{Status: gateways.StatusAccepted, Reasons: ans.Reasons, AckRef: ans.AckRef}, nil
		case gateways.Rejected:
			if err := finish(finishCtx, gateways.StatusRejected, ans.Reasons, ans.AckRef, ""); err != nil {
				return res, err
			}
			return res, temporal.NewNonRetryableApplicationError("rejected by the receiver: "+strings.Join(ans.Reasons, "; "),
				ErrTypeRejected, nil, ans.Reasons)
		case gateways.Resend:
			continue // the receiver lost it: deliver again under the same idempotency key
		default:
			return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unexpected outcome %q", ans.Outcome), ErrTypeInvalid, nil)
		}
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 2000 {
		s = s[:2000]
	}
	return s
}
