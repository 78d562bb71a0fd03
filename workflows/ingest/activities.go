package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"go.temporal.io/sdk/activity"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/sites"
)

// Store is what the activities need of the system of record.
type Store interface {
	LoadDocument(ctx context.Context, id string) (sites.Document, error)
	SetProcessing(ctx context.Context, id string) error
	Reject(ctx context.Context, id string, errs []string) error
	Apply(ctx context.Context, receiptID, siteID string, events []sites.IdentifiedEvent) (sites.Applied, error)
	FlatEvents(ctx context.Context, receiptID string) ([]domain.EPCEvent, error)
	MarkProcessed(ctx context.Context, id string) error
}

// EventSink receives flattened events for analytics. Writing the same rows twice must be
// harmless (the analytics store collapses them by event id).
type EventSink interface {
	WriteEvents(ctx context.Context, rows []domain.EPCEvent) error
}

// Activities are the ingest activities; register a *Activities with the worker.
type Activities struct {
	Store Store
	Sink  EventSink
	Log   *slog.Logger
}

// ApplyResult is what Apply did; a rejection is a result, not an error, because the
// rejection itself is recorded durably with the document.
type ApplyResult struct {
	Events   int
	Serials  int
	Rejected bool
	Errors   []string
}

// Apply decodes the stored document and records its events and serial states.
func (a *Activities) Apply(ctx context.Context, receiptID string) (ApplyResult, error) {
	doc, err := a.Store.LoadDocument(ctx, receiptID)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply: %w", err)
	}
	switch doc.Status {
	case domain.StatusRejected:
		return ApplyResult{Rejected: true}, nil
	}
	if err := a.Store.SetProcessing(ctx, receiptID); err != nil {
		return ApplyResult{}, err
	}
	events, err := decodeAll(ctx, doc, receiptID)
	if err != nil {
		var de *epcis.DecodeError
		if errors.As(err, &de) || domain.ErrorCode(err) == domain.CodeInvalid {
			msgs := []string{err.Error()}
			a.Log.InfoContext(ctx, "document rejected", "receipt_id", receiptID, "site", doc.SiteID, "err", err)
			if rerr := a.Store.Reject(ctx, receiptID, msgs); rerr != nil {
				return ApplyResult{}, rerr
			}
			return ApplyResult{Rejected: true, Errors: msgs}, nil
		}
		return ApplyResult{}, err
	}
	res, err := a.Store.Apply(ctx, receiptID, doc.SiteID, events)
	if err != nil {
		return ApplyResult{}, err
	}
	a.Log.InfoContext(ctx, "document applied", "receipt_id", receiptID, "site", doc.SiteID,
		"events", res.Events, "serials", res.Serials)
	return ApplyResult{Events: res.Events, Serials: res.Serials}, nil
}

// decodeAll decodes every event of the document, heartbeating as it goes.
func decodeAll(ctx context.Context, doc sites.Document, receiptID string) ([]sites.IdentifiedEvent, error) {
	var dec epcis.Decoder
	switch doc.Format {
	case sites.FormatXML12, sites.FormatXML20:
		dec = epcisxml.NewDecoder(bytes.NewReader(doc.Body), epcis.DefaultLimits)
	default:
		return nil, domain.Errorf(domain.CodeInvalid, "format %s is not supported yet", doc.Format)
	}
	var out []sites.IdentifiedEvent
	for i := 0; ; i++ {
		e, err := dec.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sites.IdentifiedEvent{ID: eventID(receiptID, i, e), Event: e})
		if i%10000 == 0 && activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i)
		}
	}
}

// eventID is the id the hub files an event under: the event's own eventID when it declares
// one, otherwise one derived from the document and position.
// TODO(issue 3): use the CBV 2.0 event hash, so that the same event re-sent in another
// document collapses in analytics.
func eventID(receiptID string, idx int, e *epcis.Event) string {
	if e.EventID != "" {
		return e.EventID
	}
	h := sha256.Sum256([]byte(receiptID + "#" + strconv.Itoa(idx)))
	return "urn:serialhub:event:" + hex.EncodeToString(h[:16])
}

// Publish writes the document's recorded events to the analytics store and only then marks
// the document processed, so a processed receipt means the packs can be recalled.
func (a *Activities) Publish(ctx context.Context, receiptID string) (int, error) {
	rows, err := a.Store.FlatEvents(ctx, receiptID)
	if err != nil {
		return 0, err
	}
	if err := a.Sink.WriteEvents(ctx, rows); err != nil {
		return 0, fmt.Errorf("publish %s: %w", receiptID, err)
	}
	if err := a.Store.MarkProcessed(ctx, receiptID); err != nil {
		return 0, err
	}
	return len(rows), nil
}
