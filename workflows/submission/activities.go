package submission

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
)

// Store is what the activities need of the system of record (gateways.Store).
type Store interface {
	gateways.Recorder
	Obligation(ctx context.Context, id string) (gateways.Obligation, error)
	SavePayload(ctx context.Context, obligationID, stage string, p gateways.Payload) (int64, error)
	PayloadByStage(ctx context.Context, obligationID, stage string) (gateways.Payload, error)
	Payload(ctx context.Context, obligationID string, id int64) (gateways.Payload, error)
	SetStatus(ctx context.Context, id string, st gateways.Status, lastErr string, reopen bool) error
	SetAttempt(ctx context.Context, id string, st gateways.Status, attempt int, lastErr string, next *time.Time) error
	SetAckRef(ctx context.Context, id, ackRef string) error
	Finish(ctx context.Context, id string, st gateways.Status, reasons []string, ackRef, lastErr string) error
}

// Activities are the submission activities; register a *Activities with each gateway's worker.
type Activities struct {
	Store    Store
	Gateways gateways.Registry
	Log      *slog.Logger
}

// SignInput names the built payload to sign.
type SignInput struct {
	ObligationID string
	PayloadID    int64
}

// DeliverInput names the payload to deliver.
type DeliverInput struct {
	ObligationID string
	PayloadID    int64
}

// PollInput names the acknowledgement to poll.
type PollInput struct {
	ObligationID string
	AckRef       string
}

// FinishInput is the receipt to record.
type FinishInput struct {
	ObligationID string
	Status       gateways.Status
	Reasons      []string
	AckRef       string
	Error        string
}

func (a *Activities) load(ctx context.Context, id string) (gateways.Obligation, gateways.Gateway, error) {
	ob, err := a.Store.Obligation(ctx, id)
	if err != nil {
		return ob, nil, classify(err)
	}
	g, err := a.Gateways.Get(ob.Gateway)
	if err != nil {
		return ob, nil, err // a worker without this gateway: retried until one has it
	}
	return ob, g, nil
}

// classify turns errors that retrying cannot fix into non-retryable ones.
func classify(err error) error {
	if domain.ErrorCode(err) == domain.CodeInvalid || domain.ErrorCode(err) == domain.CodeNotFound {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	return err
}

// heartbeat beats while a long exchange runs, so that a worker killed mid-delivery is noticed
// within the heartbeat timeout instead of the attempt timeout. Build and Sign beat too.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// Build builds and stores the payload, or returns the one stored by an earlier attempt: the
// bytes of an obligation never change once built (unless a retry after rejection rebuilds).
func (a *Activities) Build(ctx context.Context, obligationID string) (int64, error) {
	if p, err := a.Store.PayloadByStage(ctx, obligationID, gateways.StageBuilt); err == nil {
		return p.ID, nil
	} else if domain.ErrorCode(err) != domain.CodeNotFound {
		return 0, err
	}
	ob, g, err := a.load(ctx, obligationID)
	if err != nil {
		return 0, err
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	if err := a.Store.SetAttempt(ctx, ob.ID, gateways.StatusBuilding, attempt, "", nil); err != nil {
		return 0, err
	}
	stop := heartbeat(ctx)
	p, err := g.Build(ctx, ob)
	stop()
	if err != nil {
		_ = a.Store.SetAttempt(ctx, ob.ID, gateways.StatusBuilding, attempt, "build: "+domain.ErrorMessage(err)+detail(err), nil)
		return 0, classify(fmt.Errorf("build %s: %w", ob.ID, err))
	}
	return a.Store.SavePayload(ctx, ob.ID, gateways.StageBuilt, p)
}

func detail(err error) string {
	if domain.ErrorCode(err) == domain.CodeInternal {
		return " (" + err.Error() + ")"
	}
	return ""
}

// Sign signs the built payload and stores the result (or returns the stored one).
func (a *Activities) Sign(ctx context.Context, in SignInput) (int64, error) {
	if p, err := a.Store.PayloadByStage(ctx, in.ObligationID, gateways.StageSigned); err == nil {
		return p.ID, nil
	} else if domain.ErrorCode(err) != domain.CodeNotFound {
		return 0, err
	}
	ob, g, err := a.load(ctx, in.ObligationID)
	if err != nil {
		return 0, err
	}
	p, err := a.Store.Payload(ctx, ob.ID, in.PayloadID)
	if err != nil {
		return 0, err
	}
	stop := heartbeat(ctx)
	sp, err := g.Sign(ctx, ob, p)
	stop()
	if err != nil {
		return 0, classify(fmt.Errorf("sign %s: %w", ob.ID, err))
	}
	return a.Store.SavePayload(ctx, ob.ID, gateways.StageSigned, sp)
}

// Deliver sends the payload once and interprets the answer. Retry-later answers become
// retryable errors whose next delay is the receiver's Retry-After.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (gateways.Answer, error) {
	ob, g, err := a.load(ctx, in.ObligationID)
	if err != nil {
		return gateways.Answer{}, err
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	if err := a.Store.SetAttempt(ctx, ob.ID, gateways.StatusDelivering, attempt, "", nil); err != nil {
		return gateways.Answer{}, err
	}
	p, err := a.Store.Payload(ctx, ob.ID, in.PayloadID)
	if err != nil {
		return gateways.Answer{}, err
	}
	stop := heartbeat(ctx)
	ans, err := g.Deliver(gateways.WithRecorder(ctx, a.Store, attempt), ob, p)
	stop()
	return a.interpret(ctx, ob, attempt, "deliver", ans, err)
}

// Poll asks the receiver for the acknowledgement.
func (a *Activities) Poll(ctx context.Context, in PollInput) (gateways.Answer, error) {
	ob, g, err := a.load(ctx, in.ObligationID)
	if err != nil {
		return gateways.Answer{}, err
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	stop := heartbeat(ctx)
	ans, err := g.Poll(gateways.WithRecorder(ctx, a.Store, attempt), ob, in.AckRef)
	stop()
	return a.interpret(ctx, ob, attempt, "poll", ans, err)
}

func (a *Activities) interpret(ctx context.Context, ob gateways.Obligation, attempt int, step string, ans gateways.Answer, err error) (gateways.Answer, error) {
	if err != nil {
		msg := step + ": " + domain.ErrorMessage(err) + detail(err)
		_ = a.Store.SetAttempt(ctx, ob.ID, gateways.StatusDelivering, attempt, msg, nil)
		a.Log.WarnContext(ctx, "submission exchange failed", "workflow_id", WorkflowID(ob.ID), "step", step, "attempt", attempt, "err", err)
		return ans, classify(fmt.Errorf("%s %s: %w", step, ob.ID, err))
	}
	switch ans.Outcome {
	case gateways.Retry:
		msg := step + ": " + strings.Join(ans.Reasons, "; ")
		var next *time.Time
		if ans.RetryAfter > 0 {
			t := time.Now().Add(ans.RetryAfter)
			next = &t
		}
		if err := a.Store.SetAttempt(ctx, ob.ID, gateways.StatusDelivering, attempt, msg, next); err != nil {
			return ans, err
		}
		return ans, temporal.NewApplicationErrorWithOptions(msg, ErrTypeRetryLater, temporal.ApplicationErrorOptions{
			NextRetryDelay: ans.RetryAfter, // 0: the policy's backoff
		})
	case gateways.Pending:
		if err := a.Store.SetAckRef(ctx, ob.ID, ans.AckRef); err != nil {
			return ans, err
		}
	}
	return ans, nil
}

// Finish records the final status and receipt.
func (a *Activities) Finish(ctx context.Context, in FinishInput) error {
	if err := a.Store.Finish(ctx, in.ObligationID, in.Status, in.Reasons, in.AckRef, in.Error); err != nil {
		return err
	}
	level := slog.LevelInfo
	if in.Status != gateways.StatusAccepted {
		// A rejection is an exception for the compliance team: logged at error level and
		// listed by `submissions list --status rejected`.
		level = slog.LevelError
	}
	a.Log.Log(ctx, level, "submission finished", "workflow_id", WorkflowID(in.ObligationID),
		"status", in.Status, "reasons", in.Reasons)
	return nil
}
