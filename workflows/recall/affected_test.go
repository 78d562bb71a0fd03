package recall

import (
	"slices"
	"testing"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
)

func TestMerge(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	pk := func(epc, partner string) Pack {
		p := Pack{EPC: epc, Lot: "L1", State: "shipped", Partner: partner, Country: "DE"}
		if partner != "" {
			p.ShippedAt = &at
		} else {
			p.State, p.Country = "packed", ""
		}
		return p
	}
	type pair struct{ epc, partner string }
	for _, c := range []struct {
		name     string
		ch, pg   []Pack
		want     []pair
		disc     int
		partners []string
		inHouse  int
	}{
		{"agree", []Pack{pk("a", "P1"), pk("b", "P2"), pk("c", "")}, []Pack{pk("a", "P1"), pk("b", "P2"), pk("c", "")},
			[]pair{{"c", ""}, {"a", "P1"}, {"b", "P2"}}, 0, []string{"P1", "P2"}, 1},
		{"clickhouse down", nil, []Pack{pk("a", "P1"), pk("b", "")},
			[]pair{{"b", ""}, {"a", "P1"}}, 0, []string{"P1"}, 1},
		{"clickhouse behind", []Pack{pk("a", "P1")}, []Pack{pk("a", "P1"), pk("b", "P1")},
			[]pair{{"a", "P1"}, {"b", "P1"}}, 1, []string{"P1"}, 0},
		{"partners differ: both notified", []Pack{pk("a", "P1")}, []Pack{pk("a", "P2")},
			[]pair{{"a", "P1"}, {"a", "P2"}}, 1, []string{"P1", "P2"}, 0},
		{"clickhouse only", []Pack{pk("a", "P1"), pk("z", "P1")}, []Pack{pk("a", "P1")},
			[]pair{{"a", "P1"}, {"z", "P1"}}, 1, []string{"P1"}, 0},
		{"nothing", []Pack{}, nil, nil, 0, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, disc, n := Merge(c.ch, c.pg)
			var pairs []pair
			for _, p := range got {
				pairs = append(pairs, pair{p.EPC, p.Partner})
			}
			if !slices.Equal(pairs, c.want) || n != c.disc || len(disc) != n {
				t.Errorf("Merge = %v (%d: %v), want %v (%d)", pairs, n, disc, c.want, c.disc)
			}
			var partners []string
			for _, g := range Group(got) {
				partners = append(partners, g.PartnerGLN)
				if g.Country != "DE" {
					t.Errorf("country of %s: %q", g.PartnerGLN, g.Country)
				}
			}
			if !slices.Equal(partners, c.partners) {
				t.Errorf("Group = %v, want %v", partners, c.partners)
			}
			sum, total, _ := Summarize(got)
			if sum.InHouse != c.inHouse || total != len(uniq(got)) {
				t.Errorf("Summarize: in house %d, total %d", sum.InHouse, total)
			}
		})
	}
}

func uniq(ps []Pack) map[string]bool {
	m := map[string]bool{}
	for _, p := range ps {
		m[p.EPC] = true
	}
	return m
}

func TestDecisionValidate(t *testing.T) {
	ok := Decision{ID: "RC-1", GTIN: "4012345000016", Lots: []string{" L1 ", "L1", "L2"}, Reason: "r", Class: ClassI, DecidedBy: "QA"}
	for _, c := range []struct {
		name string
		edit func(*Decision)
		want domain.Code
	}{
		{"ok", func(*Decision) {}, ""},
		{"id with slash", func(d *Decision) { d.ID = "RC/1" }, domain.CodeInvalid},
		{"empty id", func(d *Decision) { d.ID = "" }, domain.CodeInvalid},
		{"bad gtin", func(d *Decision) { d.GTIN = "4012345000017" }, domain.CodeInvalid},
		{"no lots", func(d *Decision) { d.Lots = []string{" "} }, domain.CodeInvalid},
		{"long lot", func(d *Decision) { d.Lots = []string{"L123456789012345678901"} }, domain.CodeInvalid},
		{"no reason", func(d *Decision) { d.Reason = " " }, domain.CodeInvalid},
		{"class IV", func(d *Decision) { d.Class = "IV" }, domain.CodeInvalid},
		{"nobody decided", func(d *Decision) { d.DecidedBy = "" }, domain.CodeInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := ok
			d.Lots = slices.Clone(ok.Lots)
			c.edit(&d)
			err := d.Validate()
			if (c.want == "") != (err == nil) || (err != nil && domain.ErrorCode(err) != c.want) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
			if err == nil && (d.GTIN != "04012345000016" || !slices.Equal(d.Lots, []string{"L1", "L2"})) {
				t.Errorf("normalised: %s %v", d.GTIN, d.Lots)
			}
		})
	}
}
