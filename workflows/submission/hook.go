package submission

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/epcis/epcisxml"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/sites"
)

// HookStore is what the hook needs of the system of record (gateways.Store).
type HookStore interface {
	ShippingEvents(ctx context.Context, receiptID string) ([]gateways.ShippingEvent, error)
	AddEventParties(ctx context.Context, eventPK int64, parties []gateways.Party) error
	CreateObligation(ctx context.Context, ob gateways.Obligation) (bool, error)
}

// Partners finds the delivery settings of the partner a GLN belongs to (masterdata.Store).
type Partners interface {
	Delivery(ctx context.Context, glnOrSGLN string) (gateways.Partner, error)
}

// DocumentLoader reads a stored upload (sites.Store).
type DocumentLoader interface {
	LoadDocument(ctx context.Context, id string) (sites.Document, error)
}

// Hook derives obligations from ingested documents. Register a *Hook with the ingest worker;
// the ingest workflow calls CreateObligations after Apply.
type Hook struct {
	Docs     DocumentLoader
	Store    HookStore
	Partners Partners
	Starter  Starter
	Log      *slog.Logger
}

// CreateObligationsName is the activity's registered name, for a workflow that calls it
// without importing this package.
const CreateObligationsName = "CreateObligations"

// CreateObligations reads the shipping events of a processed document, records their
// sources, destinations and business transactions, and for every destination owning party
// that is a partner of a gateway (US partners: DSCSA) records an obligation and starts its
// submission. Idempotent: the obligation id is the business key and the workflow id is the
// obligation's. Returns the obligation ids.
func (h *Hook) CreateObligations(ctx context.Context, receiptID string) ([]string, error) {
	ships, err := h.Store.ShippingEvents(ctx, receiptID)
	if err != nil || len(ships) == 0 {
		return nil, err
	}
	doc, err := h.Docs.LoadDocument(ctx, receiptID)
	if err != nil {
		return nil, fmt.Errorf("obligations of %s: %w", receiptID, err)
	}
	if doc.PartnerGLN != "" {
		return nil, nil // a partner's file (a return to us) never makes the hub report on its behalf
	}
	if doc.Format != sites.FormatXML12 && doc.Format != sites.FormatXML20 {
		return nil, nil // TODO(issue 3): JSON-LD documents once ingest decodes them
	}
	byIdx := map[int]gateways.ShippingEvent{}
	last := 0
	for _, s := range ships {
		byIdx[s.Idx] = s
		last = max(last, s.Idx)
	}
	dec := epcisxml.NewDecoder(bytes.NewReader(doc.Body), epcis.DefaultLimits)
	var ids []string
	for i := 0; i <= last; i++ {
		ev, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("obligations of %s: event %d: %w", receiptID, i, err)
		}
		if i%10000 == 0 && activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i)
		}
		se, ok := byIdx[i]
		if !ok {
			continue
		}
		var parties []gateways.Party
		for _, s := range ev.Sources {
			parties = append(parties, gateways.Party{Kind: "source", Type: s.Type, Value: s.Value})
		}
		for _, d := range ev.Destinations {
			parties = append(parties, gateways.Party{Kind: "destination", Type: d.Type, Value: d.Value})
		}
		for _, b := range ev.BizTransactions {
			parties = append(parties, gateways.Party{Kind: "biz_transaction", Type: b.Type, Value: b.Value})
		}
		if err := h.Store.AddEventParties(ctx, se.PK, parties); err != nil {
			return nil, err
		}
		for _, d := range ev.Destinations {
			if !strings.HasSuffix(d.Type, "owning_party") {
				continue
			}
			gln := partyGLN(d.Value)
			if gln == "" {
				h.Log.WarnContext(ctx, "destination owning party is not a GLN; no obligation", "receipt_id", receiptID, "party", d.Value)
				continue
			}
			pt, err := h.Partners.Delivery(ctx, gln)
			if domain.ErrorCode(err) == domain.CodeNotFound {
				continue // not a partner we report to
			}
			if err != nil {
				return nil, err
			}
			if pt.Country != "US" || pt.Gateway == "" {
				continue // other regimes come with their adapters
			}
			ob := gateways.Obligation{ID: ObligationID(pt.Gateway, se.EventID, gln), Gateway: pt.Gateway, Kind: "shipment",
				Subject: se.EventID, EventPK: se.PK, ReceiptID: receiptID, SiteID: doc.SiteID, PartnerGLN: gln}
			created, err := h.Store.CreateObligation(ctx, ob)
			if err != nil {
				return nil, err
			}
			if err := h.Starter.Start(ctx, ob.ID, ob.Gateway); err != nil {
				return nil, err
			}
			if created {
				h.Log.InfoContext(ctx, "obligation created", "receipt_id", receiptID, "site", doc.SiteID,
					"workflow_id", WorkflowID(ob.ID), "partner", gln)
			}
			ids = append(ids, ob.ID)
		}
	}
	return ids, nil
}

// partyGLN returns the GLN of a party identifier (SGLN or PGLN URI, or a bare GLN).
func partyGLN(v string) string {
	if g, _, _, err := gs1.ParseSGLNURI(v); err == nil {
		return g.String()
	}
	if rest, ok := strings.CutPrefix(v, "urn:epc:id:pgln:"); ok {
		if i := strings.IndexByte(rest, '.'); i > 0 {
			digits := rest[:i] + rest[i+1:]
			if len(digits) == 12 {
				if c, err := gs1.CheckDigit(digits); err == nil {
					return digits + string(c)
				}
			}
		}
	}
	if g, err := gs1.ParseGLN(v); err == nil {
		return g.String()
	}
	return ""
}
