package main

import (
	"context"
	"log/slog"

	"github.com/serialhub/serialhub/sites"
	"github.com/serialhub/serialhub/sites/masterdata"
	"github.com/serialhub/serialhub/sites/serials"
)

// intakeRules wires the lookups of the intake's business rules: master data (products,
// partners) and the serial pools. SERIALHUB_INTAKE_RULES=lifecycle leaves them out: only the
// lifecycle rules run (for hubs fed documents of products they do not manage).
func intakeRules(cfg Config, d *deps, log *slog.Logger) sites.Rules {
	if cfg.IntakeRules == "lifecycle" {
		return sites.Rules{}
	}
	md := masterdata.NewStore(d.pg)
	return sites.Rules{Catalog: md, Allocations: poolLookup{serials.NewStore(d.pg, md, log)}}
}

// poolLookup adapts the serial pools to the intake's Allocations.
type poolLookup struct{ s *serials.Store }

func (p poolLookup) Allocated(ctx context.Context, gtin string, sers []string) (map[string]sites.Issued, error) {
	got, err := p.s.Allocated(ctx, gtin, sers)
	if err != nil {
		return nil, err
	}
	out := make(map[string]sites.Issued, len(got))
	for s, is := range got {
		out[s] = sites.Issued{SiteID: is.SiteID, LineID: is.LineID, Lot: is.Lot, Returned: is.Returned}
	}
	return out, nil
}
