package analytics

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// TraceResponse is the full story of one identifier: its own events, the containers it was
// ever in (with their events: packing, shipments, receipts) and what it holds now.
type TraceResponse struct {
	Input   string `json:"input"`
	EPC     string `json:"epc"`
	GTIN    string `json:"gtin,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Lot     string `json:"lot,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	State   string `json:"state,omitempty"`
	History []Fact `json:"history"`
	// Containers now, innermost first (case, pallet).
	ContainersNow []string `json:"containers_now,omitempty"`
	// Up is every container the identifier was ever in, directly or through another, with
	// its events (packing, shipments, receipts), innermost first.
	Up []TraceNode `json:"up,omitempty"`
	// Down is what the identifier holds now, level by level (cases of a pallet, then their
	// packs); capped at maxTraceDown identifiers.
	Down      []TraceChild `json:"down,omitempty"`
	DownCount int          `json:"down_count"`
}

// TraceNode is a container with its events.
type TraceNode struct {
	EPC     string `json:"epc"`
	Level   int    `json:"level"` // 1: direct container
	History []Fact `json:"history"`
}

// TraceChild is an identifier held, directly (level 1) or inside another.
type TraceChild struct {
	EPC    string `json:"epc"`
	Parent string `json:"parent"`
	Level  int    `json:"level"`
}

const maxTraceDown = 100_000

// ResolveEPC turns an EPC URI, a GS1 element string (the data of a DataMatrix), a Digital
// Link or, with gtin, a bare serial into the EPC URI the facts are filed under. The company
// prefix length an EPC URI needs is not in the barcode, so every length is tried against
// the facts.
func (s *Store) ResolveEPC(ctx context.Context, input, gtin string) (string, error) {
	input = strings.TrimSpace(input)
	var cands []string
	if r, err := gs1.ParseAny(input); err == nil {
		switch {
		case r.EPC != "" && r.Kind == gs1.KindEPCURI:
			cands = []string{r.EPC}
		default:
			for pl := 6; pl <= 12; pl++ {
				if u, err := r.EPCURI(pl); err == nil {
					cands = append(cands, u)
				}
			}
		}
	} else if gtin != "" {
		g, gerr := gs1.ParseGTIN(gtin)
		if gerr != nil {
			return "", domain.Errorf(domain.CodeInvalid, "gtin: %v", gerr)
		}
		for pl := 6; pl <= 12; pl++ {
			if u, err := (gs1.SGTIN{GTIN: g, Serial: input, PrefixLen: pl}).URI(); err == nil {
				cands = append(cands, u)
			}
		}
	} else {
		return "", domain.Errorf(domain.CodeInvalid, "%q is not an EPC URI, GS1 element string or Digital Link (%v); give --gtin with a bare serial", input, err)
	}
	if len(cands) == 0 {
		return "", domain.Errorf(domain.CodeInvalid, "%q names no serialised item (need GTIN + serial, or SSCC)", input)
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT epc FROM epc_history WHERE epc IN `+litList(cands))
	if err != nil {
		return "", fmt.Errorf("trace: resolve %q: %w", input, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return "", fmt.Errorf("trace: resolve: %w", err)
		}
		found = append(found, e)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("trace: resolve: %w", err)
	}
	if len(found) == 0 {
		return "", domain.Errorf(domain.CodeNotFound, "no events for %s", input)
	}
	sort.Strings(found)
	return found[0], nil
}

// Trace returns the history and genealogy of the identifier input names.
func (s *Store) Trace(ctx context.Context, input, gtin string) (TraceResponse, error) {
	ctx = ch.Context(ctx, ch.WithSettings(bigQuery))
	epc, err := s.ResolveEPC(ctx, input, gtin)
	if err != nil {
		return TraceResponse{}, err
	}
	tr := TraceResponse{Input: input, EPC: epc}
	// One round of concurrent queries answers most traces: the identifier's events, those of
	// its containers two levels up, its lot and what it holds directly. Deeper levels follow.
	var own, up2 map[string]timeline
	var kids []TraceChild
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		own, err = s.history(gctx, "epc = "+lit(epc))
		return err
	})
	parentsOf := func(sub string) string { return sqlWith(q.Get("ParentsOf"), "{epcs}", sub) }
	l1 := parentsOf("SELECT " + lit(epc))
	g.Go(func() (err error) {
		up2, err = s.history(gctx, "epc IN ("+l1+") OR epc IN ("+parentsOf(l1)+")")
		return err
	})
	if sg, err := gs1.ParseSGTINURI(epc); err == nil {
		tr.GTIN, tr.Serial = string(sg.GTIN), sg.Serial
		g.Go(func() error {
			// The lot comes first from epc_history (keyed by EPC), so that epc_facts is read
			// by its whole key prefix (GTIN, lot, serial) instead of every row of the GTIN.
			return s.conn.QueryRow(gctx, `SELECT any(lot), any(expiry) FROM epc_facts
				WHERE gtin = `+lit(tr.GTIN)+` AND lot IN (SELECT lot FROM epc_history WHERE epc = `+lit(epc)+` AND lot != '')
				AND serial = `+lit(tr.Serial)).Scan(&tr.Lot, &tr.Expiry)
		})
	}
	g.Go(func() (err error) {
		kids, err = s.contents(gctx, []string{epc})
		return err
	})
	if err := g.Wait(); err != nil {
		return tr, fmt.Errorf("trace %s: %w", epc, err)
	}
	tr.History = own[epc]
	if len(tr.History) == 0 {
		return tr, domain.Errorf(domain.CodeNotFound, "no events for %s", epc)
	}
	// Up: levels from the identifier's own parents; histories already read are reused.
	anc := map[string]timeline{}
	levels := map[string]int{}
	next := timeline(tr.History).parents()
	for depth := 1; len(next) > 0 && depth <= maxDepth; depth++ {
		var missing []string
		for _, p := range next {
			levels[p] = depth
			if tl, ok := up2[p]; ok {
				anc[p] = tl
			} else {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			h, err := s.historyOf(ctx, missing)
			if err != nil {
				return tr, fmt.Errorf("trace %s: containers: %w", epc, err)
			}
			for _, p := range missing {
				anc[p] = h[p]
			}
		}
		var more []string
		for _, p := range next {
			for _, pp := range anc[p].parents() {
				if _, ok := levels[pp]; !ok && !slices.Contains(more, pp) {
					more = append(more, pp)
				}
			}
		}
		next = more
	}
	for p, tl := range anc {
		tr.Up = append(tr.Up, TraceNode{EPC: p, Level: levels[p], History: tl})
	}
	sort.Slice(tr.Up, func(i, j int) bool {
		if tr.Up[i].Level != tr.Up[j].Level {
			return tr.Up[i].Level < tr.Up[j].Level
		}
		return tr.Up[i].EPC < tr.Up[j].EPC
	})
	tr.ContainersNow = chainAt(tr.History, anc, time.Unix(1<<40, 0))
	tr.State = recallPack(packOf(epc, tr.History), anc, nil).State
	// Down: what it holds now, level by level.
	for depth := 1; len(kids) > 0 && depth <= maxDepth && tr.DownCount < maxTraceDown; depth++ {
		var parents []string
		for _, k := range kids {
			if tr.DownCount >= maxTraceDown {
				break
			}
			k.Level = depth
			tr.Down = append(tr.Down, k)
			tr.DownCount++
			parents = append(parents, k.EPC)
		}
		if depth == maxDepth || tr.DownCount >= maxTraceDown {
			break
		}
		var err error
		if kids, err = s.contents(ctx, parents); err != nil {
			return tr, fmt.Errorf("trace %s: contents: %w", epc, err)
		}
	}
	return tr, nil
}

// contents lists the current children of the given containers: those whose latest
// aggregation event with the container added them.
func (s *Store) contents(ctx context.Context, parents []string) ([]TraceChild, error) {
	rows, err := s.conn.Query(ctx, `SELECT parent_epc, child_epc FROM aggregations
		WHERE parent_epc IN `+litList(parents)+`
		GROUP BY parent_epc, child_epc
		HAVING argMax(action, event_time) != 'DELETE'
		ORDER BY parent_epc, child_epc`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TraceChild
	for rows.Next() {
		var c TraceChild
		if err := rows.Scan(&c.Parent, &c.EPC); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
