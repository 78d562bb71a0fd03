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

// pgRecall answers a lot recall from the system of record alone, by another route than
// the ClickHouse one: current states and parents from serials, the latest shipment of the
// pack, its case or its pallet from the events, dispensing and decommissioning from the
// pack's events. States of packs follow the generated lifecycle (no unpacking).
const pgRecall = `
WITH packs AS (
    SELECT p.epc, p.state, p.parent_epc AS case_epc, coalesce(c.parent_epc, '') AS pallet_epc
    FROM serials p LEFT JOIN serials c ON c.epc = p.parent_epc AND p.parent_epc <> ''
    WHERE p.gtin = $1 AND p.lot = $2
), ships AS (
    SELECT DISTINCT ON (k.epc) k.epc, e.event_time, b.partner, b.country
    FROM packs k
    JOIN event_epcs x ON x.epc = k.epc OR x.epc = k.case_epc OR x.epc = k.pallet_epc
    JOIN epcis_events e ON e.id = x.event_pk AND e.biz_step = 'shipping'
    LEFT JOIN bench_shipments b ON b.event_pk = e.id
    ORDER BY k.epc, e.event_time DESC
), own AS (
    SELECT k.epc,
           bool_or(e.biz_step = 'dispensing') AS dispensed,
           bool_or(e.biz_step = 'decommissioning') AS decommissioned
    FROM packs k JOIN event_epcs x ON x.epc = k.epc JOIN epcis_events e ON e.id = x.event_pk
    GROUP BY k.epc
)
SELECT k.epc, k.case_epc, k.pallet_epc,
       CASE WHEN o.decommissioned THEN 'decommissioned' WHEN o.dispensed THEN 'dispensed'
            WHEN s.epc IS NOT NULL THEN 'shipped' ELSE k.state END,
       s.event_time, coalesce(s.partner, ''), coalesce(s.country, ''),
       coalesce(o.dispensed, false), coalesce(o.decommissioned, false)
FROM packs k LEFT JOIN ships s ON s.epc = k.epc LEFT JOIN own o ON o.epc = k.epc
ORDER BY k.epc`

// PGRecall answers a lot recall in PostgreSQL.
func PGRecall(ctx context.Context, pg *pgxpool.Pool, gtin, lot string) ([]PGRecallItem, error) {
	rows, err := pg.Query(ctx, pgRecall, gtin, lot)
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
