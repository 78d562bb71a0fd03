package ingest

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/sites"
)

// Store is what the activities need of the system of record (sites.Store).
type Store interface {
	Process(ctx context.Context, receiptID string, opt sites.ProcessOptions) (sites.Outcome, error)
}

// Activities are the ingest activities; register a *Activities with the worker.
type Activities struct {
	Store     Store
	Sink      sites.EventSink // analytics (analytics.Writer); nil: none
	Rules     sites.Rules     // master data and serial pools; nil lookups switch their rules off
	ChunkEPCs int             // identifiers per chunk; 0: sites.DefaultChunkEPCs
	Log       *slog.Logger
}

// ProcessResult is what Process did; a rejection is a result, not an error, because the
// rejection itself is recorded durably with the document.
type ProcessResult struct {
	Status   domain.ReceiptStatus
	Events   int
	Serials  int
	Rejected int
	Rows     int
	Errors   []string
}

// Process checks the stored document against the business rules and applies its accepted
// events in chunks (PostgreSQL and analytics), heartbeating its progress. A retry after the
// worker died resumes after the last committed chunk.
func (a *Activities) Process(ctx context.Context, receiptID string) (ProcessResult, error) {
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	heartbeat := func(p sites.Progress) {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, p)
		}
	}
	out, err := a.Store.Process(ctx, receiptID, sites.ProcessOptions{Rules: a.Rules, Sink: a.Sink,
		ChunkEPCs: a.ChunkEPCs, Progress: heartbeat, Log: log})
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.CodeNotFound || c == domain.CodeInvalid {
			return ProcessResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
		}
		return ProcessResult{}, fmt.Errorf("process %s: %w", receiptID, err)
	}
	return ProcessResult{Status: out.Status, Events: out.Events, Serials: out.Serials, Rejected: out.Rejected,
		Rows: out.Rows, Errors: out.Errors}, nil
}
