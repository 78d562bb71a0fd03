package sites

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis/codec"
)

// Intake is the one way a document comes into the hub, whoever sends it: a site's upload
// (Handler) or a trading partner's file over HTTPS, EPCIS capture or AS2 (gateways/dscsa).
// Take streams the body into the store (hashed, deduplicated by hash or SBDH document id, the
// receipt committed before anyone is told yes) and starts its ingest workflow; the same rules,
// exception queue and analytics follow for both. A partner's file is owned by the partner
// (UploadMeta.PartnerGLN) and checked by the partner rules (partner_rules.go).
type Intake struct {
	Store   *Store
	Starter IngestStarter
	Log     *slog.Logger
}

// Take stores the document read from body and starts its processing. u names the owner,
// content type, transport and error mode; Take detects the format and reads the SBDH document
// id from the first MiB. A repeated document returns the first receipt, marked Duplicate, and
// starts nothing. If the start fails the document is still acknowledged: the worker's sweep of
// pending documents starts it later.
func (in *Intake) Take(ctx context.Context, u UploadMeta, body io.Reader) (domain.Receipt, error) {
	br := bufio.NewReaderSize(body, headBytes)
	head, err := br.Peek(headBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return domain.Receipt{}, err
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "empty document")
	}
	f, err := codec.Detect(u.ContentType, head)
	if err != nil {
		return domain.Receipt{}, domain.Errorf(domain.CodeInvalid, "%v", err)
	}
	u.Format, u.DocumentID = f.String(), documentID(head, f)
	rec, err := in.Store.SaveUpload(ctx, u, br)
	if err != nil {
		return rec, err
	}
	log := in.Log.With("receipt_id", rec.ID)
	if u.PartnerGLN != "" {
		log = log.With("partner", u.PartnerGLN, "transport", u.Transport)
	} else {
		log = log.With("site", u.SiteID)
	}
	if rec.Duplicate {
		log.InfoContext(ctx, "duplicate document", "status", rec.Status)
		return rec, nil
	}
	if err := in.Starter.StartIngest(ctx, rec.ID); err != nil {
		log.WarnContext(ctx, "start ingest failed; the pending sweep will retry", "err", err)
	}
	log.InfoContext(ctx, "document received", "bytes", rec.Size, "format", rec.Format)
	return rec, nil
}

// PartnerReceipts returns the receipts of a partner's files, newest first.
func (s *Store) PartnerReceipts(ctx context.Context, gln string, limit int) ([]domain.Receipt, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, q.Get("PartnerReceiptIDs"), gln, limit)
	if err != nil {
		return nil, fmt.Errorf("receipts of partner %s: %w", gln, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("receipts of partner %s: %w", gln, err)
	}
	out := make([]domain.Receipt, 0, len(ids))
	for _, id := range ids {
		r, err := s.Receipt(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// lockKey is the intake lock a document waits for: its site's, or its partner's. Documents of
// one owner are processed one at a time, so that each one's rules see the ones before.
func lockKey(d Document) string {
	if d.PartnerGLN != "" {
		return "partner:" + d.PartnerGLN
	}
	return d.SiteID
}

// ownerInfo is what the rules know of a document's owner: the site, or for a partner's file
// its scope (partner_rules.go) and no site.
func (s *Store) ownerInfo(ctx context.Context, d Document) (siteInfo, error) {
	if d.PartnerGLN == "" {
		return s.siteInfo(ctx, d.SiteID)
	}
	sc, err := s.partnerScope(ctx, d.PartnerGLN)
	if err != nil {
		return siteInfo{}, err
	}
	return siteInfo{lines: map[string]bool{}, partner: sc}, nil
}

// partnerScope reads where the partner's events may happen (its GLN and its locations' from
// master data) and where it may ship back to (our sites). A partner missing from the master
// data has no locations: each of its events is rejected, naming it.
func (s *Store) partnerScope(ctx context.Context, gln string) (*partnerScope, error) {
	sc := &partnerScope{gln: gln, own: map[string]bool{}, ours: map[string]bool{}, shipped: map[string]shipment{}}
	var locs []string
	err := s.pool.QueryRow(ctx, q.Get("PartnerScope"), gln).Scan(&sc.gln, &sc.country, &locs)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("partner %s: %w", gln, err)
	default:
		sc.known = true
		sc.own[gln] = true
		for _, l := range locs {
			sc.own[l] = true
		}
	}
	rows, err := s.pool.Query(ctx, q.Get("OurLocations"))
	if err != nil {
		return nil, fmt.Errorf("our locations: %w", err)
	}
	var g, sgln string
	_, err = pgx.ForEachRow(rows, []any{&g, &sgln}, func() error {
		for _, l := range []string{g, sgln} {
			if x := locationGLN(l); x != "" {
				sc.ours[x] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("our locations: %w", err)
	}
	return sc, nil
}

// shipment is the last shipment of an identifier by one of our sites to a partner.
type shipment struct {
	partner string
	t       time.Time
}

// shippedTo reads the last shipment to a partner of each identifier in epcs, into ship.
func (s *Store) shippedTo(ctx context.Context, epcs []string, ship map[string]shipment) error {
	if len(epcs) == 0 {
		return nil
	}
	rows, err := s.pool.Query(ctx, q.Get("ShippedTo"), epcs)
	if err != nil {
		return fmt.Errorf("shipments: %w", err)
	}
	var epc string
	var sh shipment
	_, err = pgx.ForEachRow(rows, []any{&epc, &sh.partner, &sh.t}, func() error { ship[epc] = sh; return nil })
	if err != nil {
		return fmt.Errorf("shipments: %w", err)
	}
	return nil
}
