package dscsa

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/serialhub/serialhub/gateways"
	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/gs1"
	"github.com/serialhub/serialhub/schemas/sqlfile"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var q = sqlfile.MustLoad(sqlFS)

// SDT are the CBV source/destination types the adapter reads.
const (
	SDTOwningParty = "urn:epcglobal:cbv:sdt:owning_party"
	SDTLocation    = "urn:epcglobal:cbv:sdt:location"
)

// PGSource reads shipments from the system of record: the shipping event, its parties, the
// whole hierarchy under what it shipped, and the product and location master data.
type PGSource struct {
	Pool *pgxpool.Pool
}

// Shipment assembles the shipment of ob (its EventPK is the shipping event).
func (s PGSource) Shipment(ctx context.Context, ob gateways.Obligation) (*Shipment, error) {
	if ob.EventPK == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "obligation %s names no shipping event", ob.ID)
	}
	sh := &Shipment{DocumentID: ob.ID, Created: ob.CreatedAt.UTC().Truncate(time.Second), ClassOf: map[string]string{}}
	var bizStep string
	err := s.Pool.QueryRow(ctx, q.Get("ShipEvent"), ob.EventPK).Scan(&sh.Ship.EventID, &sh.Ship.Time,
		&sh.Ship.TZ, &sh.Ship.ReadPoint, &sh.Ship.BizLocation, &bizStep)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.Errorf(domain.CodeInvalid, "shipping event %d of %s does not exist", ob.EventPK, ob.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("shipment %s: %w", ob.ID, err)
	}
	if sh.Ship.EPCs, err = s.strings(ctx, "EventEPCs", ob.EventPK); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, q.Get("EventParties"), ob.EventPK)
	if err != nil {
		return nil, fmt.Errorf("shipment %s: parties: %w", ob.ID, err)
	}
	for rows.Next() {
		var kind, typ, val string
		if err := rows.Scan(&kind, &typ, &val); err != nil {
			rows.Close()
			return nil, fmt.Errorf("shipment %s: parties: %w", ob.ID, err)
		}
		switch kind {
		case "source":
			sh.Ship.Sources = append(sh.Ship.Sources, epcis.SourceDest{Type: typ, Value: val})
		case "destination":
			sh.Ship.Destinations = append(sh.Ship.Destinations, epcis.SourceDest{Type: typ, Value: val})
		case "biz_transaction":
			sh.Ship.BizTransactions = append(sh.Ship.BizTransactions, epcis.BizTransaction{Type: typ, Value: val})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("shipment %s: parties: %w", ob.ID, err)
	}
	sh.Sender = firstOf(sh.Ship.Sources, SDTOwningParty, SDTLocation)
	if sh.Sender == "" {
		sh.Sender = sh.Ship.ReadPoint
	}
	sh.Receiver = firstOf(sh.Ship.Destinations, SDTOwningParty, SDTLocation)
	if sh.Receiver == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "shipping event %s names no destination owning party", sh.Ship.EventID)
	}
	if err := s.tree(ctx, sh); err != nil {
		return nil, fmt.Errorf("shipment %s: %w", ob.ID, err)
	}
	if err := s.masterData(ctx, sh); err != nil {
		return nil, fmt.Errorf("shipment %s: %w", ob.ID, err)
	}
	return sh, nil
}

func firstOf(list []epcis.SourceDest, types ...string) string {
	for _, t := range types {
		for _, sd := range list {
			// Types are kept as written: URN, bare CBV 2.0 word or web URI.
			if sd.Type == t || strings.HasSuffix(sd.Type, t[strings.LastIndexByte(t, ':')+1:]) {
				return sd.Value
			}
		}
	}
	return ""
}

func (s PGSource) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.Pool.Query(ctx, q.Get(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	return out, nil
}

type commissionKey struct {
	event       int64
	lot, expiry string
}

// tree reads the shipped hierarchy and turns it into commissioning and packing events.
func (s PGSource) tree(ctx context.Context, sh *Shipment) error {
	rows, err := s.Pool.Query(ctx, q.Get("Tree"), sh.Ship.EPCs)
	if err != nil {
		return fmt.Errorf("hierarchy: %w", err)
	}
	defer rows.Close()
	comm := map[commissionKey]*Commission{}
	var commOrder []commissionKey
	type agg struct {
		a     *Aggregation
		depth int
	}
	aggs := map[string]*agg{}
	var aggOrder []string
	found := 0
	for rows.Next() {
		var epc, gtin, lot, expiry, parent, ctz, crp, cbl, ptz, prp, pbl string
		var depth int
		var commissioned, ctime, ptime time.Time
		var cev int64
		if err := rows.Scan(&epc, &gtin, &lot, &expiry, &parent, &depth, &commissioned, &cev, &ctime, &ctz,
			&crp, &cbl, &ptime, &ptz, &prp, &pbl); err != nil {
			return fmt.Errorf("hierarchy: %w", err)
		}
		found++
		if gtin != "" {
			if _, ok := sh.ClassOf[gtin]; !ok {
				sh.ClassOf[gtin] = ClassPattern(epc)
			}
		}
		k := commissionKey{cev, lot, expiry}
		c := comm[k]
		if c == nil {
			c = &Commission{Time: ctime, TZ: ctz, Lot: lot, Expiry: expiry, ReadPoint: crp, BizLocation: cbl}
			if cev == 0 { // commissioned before the hub knew it, or elsewhere: the serial's record
				c.Time, c.ReadPoint, c.BizLocation = commissioned, sh.Ship.ReadPoint, sh.Ship.ReadPoint
			}
			if strings.Contains(epc, ":sscc:") {
				c.Lot, c.Expiry = "", ""
			}
			comm[k] = c
			commOrder = append(commOrder, k)
		}
		c.EPCs = append(c.EPCs, epc)
		if parent != "" {
			a := aggs[parent]
			if a == nil {
				if ptime.Unix() == 0 {
					ptime, prp, pbl = c.Time, c.ReadPoint, c.BizLocation
				}
				a = &agg{a: &Aggregation{Time: ptime, TZ: ptz, Parent: parent, ReadPoint: prp, BizLocation: pbl}, depth: depth}
				aggs[parent] = a
				aggOrder = append(aggOrder, parent)
			}
			a.a.Children = append(a.a.Children, epc)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hierarchy: %w", err)
	}
	if found == 0 {
		return domain.Errorf(domain.CodeInvalid, "none of the shipped identifiers is a known serial")
	}
	// Commissioning in time order; packing innermost first, as a line produces them.
	sort.SliceStable(commOrder, func(i, j int) bool { return comm[commOrder[i]].Time.Before(comm[commOrder[j]].Time) })
	for _, k := range commOrder {
		sh.Commissions = append(sh.Commissions, *comm[k])
	}
	sort.SliceStable(aggOrder, func(i, j int) bool { return aggs[aggOrder[i]].depth > aggs[aggOrder[j]].depth })
	for _, p := range aggOrder {
		sh.Aggregations = append(sh.Aggregations, *aggs[p].a)
	}
	return nil
}

// masterData reads the products of every GTIN shipped (all must be known: a DSCSA file
// without the NDC and names is not compliant) and the locations named.
func (s PGSource) masterData(ctx context.Context, sh *Shipment) error {
	gtins := make([]string, 0, len(sh.ClassOf))
	for g := range sh.ClassOf {
		gtins = append(gtins, g)
	}
	sort.Strings(gtins)
	rows, err := s.Pool.Query(ctx, q.Get("Products"), gtins)
	if err != nil {
		return fmt.Errorf("products: %w", err)
	}
	sh.Products, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gateways.Product, error) {
		var p gateways.Product
		err := r.Scan(&p.GTIN, &p.NDC, &p.Name, &p.DosageForm, &p.Strength, &p.NetContent, &p.Manufacturer)
		return p, err
	})
	if err != nil {
		return fmt.Errorf("products: %w", err)
	}
	if len(sh.Products) < len(gtins) || slices.ContainsFunc(sh.Products, func(p gateways.Product) bool { return p.NDC == "" }) {
		have := map[string]bool{}
		for _, p := range sh.Products {
			have[p.GTIN] = p.NDC != ""
		}
		var missing []string
		for _, g := range gtins {
			if !have[g] {
				missing = append(missing, g)
			}
		}
		// Unavailable, not invalid: adding the master data lets the next retry succeed.
		return domain.Errorf(domain.CodeUnavailable, "no product master data with an NDC for GTIN %s", strings.Join(missing, ", "))
	}
	ids := map[string]bool{sh.Sender: true, sh.Receiver: true}
	for _, sd := range append(append([]epcis.SourceDest{}, sh.Ship.Sources...), sh.Ship.Destinations...) {
		ids[sd.Value] = true
	}
	ids[sh.Ship.ReadPoint] = true
	var list []string
	for id := range ids {
		if id != "" {
			list = append(list, id)
		}
	}
	sort.Strings(list)
	glns := make([]string, len(list))
	for i, id := range list {
		glns[i] = locationGLN(id)
	}
	rows, err = s.Pool.Query(ctx, q.Get("Locations"), list, glns)
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	sh.Locations, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gateways.Location, error) {
		var l gateways.Location
		var a struct {
			Street1    string `json:"street1"`
			Street2    string `json:"street2"`
			City       string `json:"city"`
			State      string `json:"state"`
			PostalCode string `json:"postal_code"`
		}
		err := r.Scan(&l.SGLN, &l.Name, &a, &l.Country)
		l.Street1, l.Street2, l.City, l.State, l.PostalCode = a.Street1, a.Street2, a.City, a.State, a.PostalCode
		return l, err
	})
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	return nil
}

// locationGLN is the GLN of a party or place identifier (SGLN URI or GLN); "" if it has none.
func locationGLN(id string) string {
	if g, _, _, err := gs1.ParseSGLNURI(id); err == nil {
		return string(g)
	}
	if g, err := gs1.ParseGLN(id); err == nil {
		return string(g)
	}
	return ""
}
