package euhub

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/domain"
)

// Starter starts the submission of an obligation (submission.Starter).
type Starter interface {
	Start(ctx context.Context, obligationID, gateway string) error
}

// Service validates operations, records them as obligations and starts their submissions.
type Service struct {
	Store   *Store
	Starter Starter
	Log     *slog.Logger
}

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalid, format, args...)
}

// start starts the submissions, a few at once (a release of 1M packs is 100 of them). An
// obligation whose start fails is recorded: the sweep starts it later.
func (s *Service) start(ctx context.Context, ids ...string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids {
		g.Go(func() error {
			if err := s.Starter.Start(ctx, id, Name); err != nil {
				return fmt.Errorf("start %s: %w", id, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Product uploads a product's master data, refused locally (A16) when incomplete.
func (s *Service) Product(ctx context.Context, m ProductMasterData) (string, error) {
	if err := m.Check(); err != nil {
		return "", err
	}
	id, err := s.Store.Record(ctx, Request{Kind: KindProduct, GTIN: m.Product.Code, Product: &m})
	if err != nil {
		return "", err
	}
	return id, s.start(ctx, id)
}

// ReleaseResult says what a release recorded.
type ReleaseResult struct {
	Obligations []string `json:"obligations"`
	Packs       int      `json:"packs"`
	Created     bool     `json:"created"`
}

// Release uploads the packs of a batch released for EU markets, in chunks. Without serials,
// the lot's packs in the serial store are released. Batch and expiry must be exactly those of
// the packs.
func (s *Service) Release(ctx context.Context, rel Release) (ReleaseResult, error) {
	if err := CheckProductCode(ProductCode{Scheme: "GTIN", Code: rel.GTIN}); err != nil {
		return ReleaseResult{}, invalid("%v", err)
	}
	if err := CheckBatch(rel.Lot); err != nil {
		return ReleaseResult{}, invalid("%v", err)
	}
	if err := CheckExpiry(rel.Expiry); err != nil {
		return ReleaseResult{}, invalid("%v", err)
	}
	if len(rel.Serials) == 0 {
		packs, err := s.Store.LotPacks(ctx, rel.GTIN, rel.Lot)
		if err != nil {
			return ReleaseResult{}, err
		}
		if len(packs) == 0 {
			return ReleaseResult{}, domain.Errorf(domain.CodeNotFound, "no packs of %s lot %s in the serial store", rel.GTIN, rel.Lot)
		}
		for _, p := range packs {
			rel.Serials = append(rel.Serials, p.Serial)
		}
	}
	if err := checkSerials(rel.Serials); err != nil {
		return ReleaseResult{}, err
	}
	// Batch and expiry are compared with the packs' own as the release is recorded.
	ids, created, err := s.Store.RecordRelease(ctx, rel)
	if err != nil {
		return ReleaseResult{}, err
	}
	if s.Log != nil {
		s.Log.InfoContext(ctx, "batch released to the EU Hub", "gtin", rel.GTIN, "lot", rel.Lot, "packs", len(rel.Serials),
			"chunks", len(ids), "created", created)
	}
	return ReleaseResult{Obligations: ids, Packs: len(rel.Serials), Created: created}, s.start(ctx, ids...)
}

func checkSerials(serials []string) error {
	seen := make(map[string]struct{}, len(serials))
	for _, sn := range serials {
		if err := CheckSerial(sn); err != nil {
			return invalid("%v (EU serials: 1-20 characters of GS1 CSET 82)", err)
		}
		if _, dup := seen[sn]; dup {
			return invalid("serial %q twice", sn)
		}
		seen[sn] = struct{}{}
	}
	return nil
}

// Recall recalls a batch at the hub.
func (s *Service) Recall(ctx context.Context, gtin, lot, reason string) (string, error) {
	if err := CheckProductCode(ProductCode{Code: gtin}); err != nil {
		return "", invalid("%v", err)
	}
	if err := CheckBatch(lot); err != nil {
		return "", invalid("%v", err)
	}
	if strings.TrimSpace(reason) == "" {
		return "", invalid("a recall needs a reason")
	}
	id, err := s.Store.Record(ctx, Request{Kind: KindRecall, GTIN: gtin, Lot: lot, Reason: reason})
	if err != nil {
		return "", err
	}
	return id, s.start(ctx, id)
}

// ConfirmWithdrawal is the confirmation a withdrawal needs: it cannot be undone.
func ConfirmWithdrawal(gtin string) string { return "WITHDRAW " + gtin }

// Withdraw withdraws a product from every market, irreversibly: confirm must be
// ConfirmWithdrawal(gtin).
func (s *Service) Withdraw(ctx context.Context, gtin, reason, confirm string) (string, error) {
	if err := CheckProductCode(ProductCode{Code: gtin}); err != nil {
		return "", invalid("%v", err)
	}
	if strings.TrimSpace(reason) == "" {
		return "", invalid("a withdrawal needs a reason")
	}
	if confirm != ConfirmWithdrawal(gtin) {
		return "", invalid("a withdrawal cannot be undone: confirm with %q", ConfirmWithdrawal(gtin))
	}
	id, err := s.Store.Record(ctx, Request{Kind: KindWithdrawal, GTIN: gtin, Reason: reason})
	if err != nil {
		return "", err
	}
	return id, s.start(ctx, id)
}

// StatusChange is a decommissioning (or its undo) of packs of one batch.
type StatusChange struct {
	GTIN    string   `json:"gtin"`
	Lot     string   `json:"lot"`
	Expiry  string   `json:"expiry"`
	Status  string   `json:"status"`
	Serials []string `json:"serials"`
}

// Decommission sets packs to a decommissioned status (undo: back to active).
func (s *Service) Decommission(ctx context.Context, c StatusChange, undo bool) (string, error) {
	if err := CheckProductCode(ProductCode{Code: c.GTIN}); err != nil {
		return "", invalid("%v", err)
	}
	if err := CheckBatch(c.Lot); err != nil {
		return "", invalid("%v", err)
	}
	if err := CheckExpiry(c.Expiry); err != nil {
		return "", invalid("%v", err)
	}
	if !ValidStatus(c.Status) {
		return "", invalid("status %q: want one of %s", c.Status, strings.Join(Statuses, ", "))
	}
	if undo && !Reversible(c.Status) {
		return "", invalid("%s %s cannot be undone", A24, c.Status)
	}
	if len(c.Serials) == 0 {
		return "", invalid("no serials")
	}
	if err := checkSerials(c.Serials); err != nil {
		return "", err
	}
	kind := KindDecommission
	if undo {
		kind = KindUndo
	}
	id, err := s.Store.Record(ctx, Request{Kind: kind, GTIN: c.GTIN, Lot: c.Lot, Expiry: c.Expiry, Status: c.Status, Serials: c.Serials})
	if err != nil {
		return "", err
	}
	return id, s.start(ctx, id)
}
