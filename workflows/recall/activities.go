package recall

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/analytics"
	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/gateways/recallnotice"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/workflows/submission"
)

// PackFinder answers recall queries from the analytics store (analytics.Store).
type PackFinder interface {
	Recall(ctx context.Context, rq analytics.RecallQuery) (analytics.RecallResponse, error)
}

// Obligations records obligations (gateways.Store).
type Obligations interface {
	CreateObligation(ctx context.Context, ob gateways.Obligation) (bool, error)
}

// Submissions starts the submission of an obligation (submission.Starter).
type Submissions interface {
	Start(ctx context.Context, obligationID, gateway string) error
}

// EUHub recalls batches at the EU Hub (the euhub adapter's service and store).
type EUHub interface {
	// Released reports whether the batch was released (uploaded) to the EU Hub.
	Released(ctx context.Context, gtin, lot string) (bool, error)
	// Recall records the batch recall as an obligation, starts its submission and returns
	// the obligation id.
	Recall(ctx context.Context, gtin, lot, reason string) (string, error)
}

// Activities are the recall workflow's activities.
type Activities struct {
	Store       *Store
	Analytics   PackFinder // nil: PostgreSQL alone
	Obligations Obligations
	Submissions Submissions
	EUHub       EUHub // nil: no EU Hub configured
	Log         *slog.Logger
}

// NoticeObligationID is the obligation of a partner's notice: the idempotency key of every
// delivery is the recall id and the partner.
func NoticeObligationID(recallID, partnerGLN string) string {
	return submission.ObligationID(recallnotice.Name, recallID, partnerGLN)
}

// nonRetryable turns errors no retry can fix into non-retryable ones.
func nonRetryable(err error) error {
	if c := domain.ErrorCode(err); c == domain.CodeNotFound || c == domain.CodeInvalid {
		return temporal.NewNonRetryableApplicationError(err.Error(), string(c), err)
	}
	return err
}

func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// Prepare computes the affected packs, groups them per partner, builds and stores every
// notice, and returns the figures. Once stored, a recall's notices never change: a retried or
// repeated Prepare returns the stored ones.
func (a *Activities) Prepare(ctx context.Context, recallID string) (Prepared, error) {
	r, err := a.Store.Recall(ctx, recallID)
	if err != nil {
		return Prepared{}, nonRetryable(err)
	}
	if r.PreparedAt != nil {
		return a.stored(ctx, r)
	}
	if err := a.Store.SetStatus(ctx, recallID, StatusPreparing); err != nil {
		return Prepared{}, err
	}
	stop := keepBeating(ctx)
	defer stop()
	pg, err := a.Store.AffectedPacks(ctx, r.GTIN, r.Lots)
	if err != nil {
		return Prepared{}, err
	}
	source := "clickhouse+postgres"
	var ch []Pack
	if a.Analytics == nil {
		source = "postgres"
	} else {
		resp, err := a.Analytics.Recall(ctx, analytics.RecallQuery{GTIN: r.GTIN, Lots: r.Lots})
		if err != nil {
			// A recall does not wait for the analytics store: the system of record answers.
			source = "postgres (clickhouse failed: " + clip(domain.ErrorMessage(err)+detail(err), 200) + ")"
			a.Log.WarnContext(ctx, "recall: ClickHouse failed, affected packs from PostgreSQL alone", "recall", recallID, "err", err)
		} else {
			ch = fromAnalytics(resp.Items)
			if ch == nil {
				ch = []Pack{}
			}
		}
	}
	packs, disc, ndisc := Merge(ch, pg)
	sum, total, shipped := Summarize(packs)
	groups := Group(packs)
	sender := ""
	if len(packs) > 0 {
		if sender, err = a.Store.SiteGLN(ctx, packs[0].Site); err != nil {
			return Prepared{}, err
		}
	}
	p := Prepared{Source: source, Packs: total, Shipped: shipped, Discrepancies: ndisc}
	notices := make([]NoticeRow, 0, len(groups))
	for i, g := range groups {
		h := NoticeHeader{Recall: r, DocumentID: NoticeObligationID(r.ID, g.PartnerGLN), SenderGLN: sender,
			PartnerGLN: g.PartnerGLN, Country: g.Country}
		csvb, err := WriteCSV(h, g.Packs)
		if err != nil {
			return Prepared{}, err
		}
		xb, err := WriteEPCIS(h, g.Packs)
		if err != nil {
			return Prepared{}, err
		}
		notices = append(notices, NoticeRow{PartnerGLN: g.PartnerGLN, Country: g.Country, Packs: len(g.Packs), CSV: csvb, EPCIS: xb})
		p.Partners = append(p.Partners, g.PartnerGLN)
		if i%50 == 0 {
			heartbeat(ctx, i)
		}
	}
	if err := a.Store.SavePrepared(ctx, recallID, p, sum, disc, notices); err != nil {
		return Prepared{}, err
	}
	if ndisc > 0 {
		a.Log.WarnContext(ctx, "recall: ClickHouse and PostgreSQL disagree; the union is notified", "recall", recallID,
			"discrepancies", ndisc, "first", disc[0])
	}
	a.Log.InfoContext(ctx, "recall prepared", "recall", recallID, "gtin", r.GTIN, "lots", r.Lots, "packs", total,
		"shipped", shipped, "partners", len(groups), "source", source)
	// Another attempt may have won the race to store: answer with what is stored.
	r, err = a.Store.Recall(ctx, recallID)
	if err != nil {
		return Prepared{}, err
	}
	return a.stored(ctx, r)
}

func (a *Activities) stored(ctx context.Context, r Recall) (Prepared, error) {
	ns, err := a.Store.Notices(ctx, r.ID)
	if err != nil {
		return Prepared{}, err
	}
	p := Prepared{Source: r.Source, Packs: r.Packs, Shipped: r.Shipped, Discrepancies: len(r.Discrepancies)}
	for _, n := range ns {
		p.Partners = append(p.Partners, n.PartnerGLN)
	}
	return p, nil
}

// keepBeating heartbeats every 30 s while a long query runs.
func keepBeating(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
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

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func detail(err error) string {
	if domain.ErrorCode(err) == domain.CodeInternal {
		return " (" + err.Error() + ")"
	}
	return ""
}

// Dispatch records an obligation per notice and starts its submission, and asks the EU Hub
// to recall every lot released there. Idempotent: obligation ids are business keys and a
// submission runs once per id.
func (a *Activities) Dispatch(ctx context.Context, recallID string) error {
	r, err := a.Store.Recall(ctx, recallID)
	if err != nil {
		return nonRetryable(err)
	}
	ns, err := a.Store.Notices(ctx, recallID)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, n := range ns {
		g.Go(func() error {
			ob := gateways.Obligation{ID: NoticeObligationID(recallID, n.PartnerGLN), Gateway: recallnotice.Name,
				Kind: recallnotice.Kind, Subject: recallID, PartnerGLN: n.PartnerGLN}
			if _, err := a.Obligations.CreateObligation(gctx, ob); err != nil {
				return err
			}
			if err := a.Store.SetNoticeObligation(gctx, recallID, n.PartnerGLN, ob.ID); err != nil {
				return err
			}
			if err := a.Submissions.Start(gctx, ob.ID, ob.Gateway); err != nil {
				return fmt.Errorf("notice of recall %s to %s: %w", recallID, n.PartnerGLN, err)
			}
			heartbeat(ctx)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if a.EUHub != nil {
		for _, lot := range r.Lots {
			ok, err := a.EUHub.Released(ctx, r.GTIN, lot)
			if err != nil {
				return err
			}
			if !ok {
				continue // the EU Hub never had this batch: nothing to set there
			}
			id, err := a.EUHub.Recall(ctx, r.GTIN, lot, fmt.Sprintf("%s (recall %s, class %s)", r.Reason, r.ID, r.Class))
			if err != nil {
				return fmt.Errorf("EU Hub recall of %s lot %s: %w", r.GTIN, lot, err)
			}
			if err := a.Store.AddEUHub(ctx, recallID, lot, id); err != nil {
				return err
			}
		}
	}
	if err := a.Store.SetDispatched(ctx, recallID); err != nil {
		return err
	}
	a.Log.InfoContext(ctx, "recall dispatched", "recall", recallID, "notices", len(ns))
	return nil
}

// Progress counts the targets by the status of their submissions.
func (a *Activities) Progress(ctx context.Context, recallID string) (Progress, error) {
	ts, err := a.Store.Targets(ctx, recallID)
	if err != nil {
		return Progress{}, err
	}
	var p Progress
	for _, t := range ts {
		p.Targets++
		switch gateways.Status(t.Status) {
		case gateways.StatusAccepted:
			p.Accepted++
		case gateways.StatusRejected:
			p.Rejected++
		case gateways.StatusFailed, gateways.StatusCancelled:
			p.Failed++
		default:
			p.InFlight++
		}
	}
	return p, nil
}

// Finish records a recall's final status.
func (a *Activities) Finish(ctx context.Context, in FinishInput) error {
	done, err := a.Store.Finish(ctx, in.RecallID, in.Status, in.By, in.Reason)
	if err != nil {
		return err
	}
	if done {
		a.Log.InfoContext(ctx, "recall finished", "recall", in.RecallID, "status", in.Status, "by", in.By, "reason", in.Reason)
	}
	return nil
}
