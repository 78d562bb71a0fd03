package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PGRecallItem is one pack of the recall answer computed in PostgreSQL.
type PGRecallItem struct {
	EPC, Case, Pallet, State string
	ShippedAt                *time.Time
	Partner, Country         string
	Dispensed, Decommission  bool
}

// PGRecall answers a lot recall in PostgreSQL alone (query Recall in sql/load.sql): the
// same answer as the ClickHouse recall, computed by another route from the same facts.
func PGRecall(ctx context.Context, pg *pgxpool.Pool, gtin, lot string) ([]PGRecallItem, error) {
	rows, err := pg.Query(ctx, q.Get("Recall"), gtin, lot)
	if err != nil {
		return nil, fmt.Errorf("pg recall %s/%s: %w", gtin, lot, err)
	}
	defer rows.Close()
	var out []PGRecallItem
	for rows.Next() {
		var it PGRecallItem
		if err := rows.Scan(&it.EPC, &it.Case, &it.Pallet, &it.State, &it.ShippedAt, &it.Partner, &it.Country,
			&it.Dispensed, &it.Decommission); err != nil {
			return nil, fmt.Errorf("pg recall %s/%s: %w", gtin, lot, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
