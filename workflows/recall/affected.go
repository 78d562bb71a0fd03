package recall

import (
	"fmt"
	"sort"
	"time"

	"github.com/serialhub/serialhub/analytics"
)

// maxDiscrepancies bounds the disagreements kept on a recall (the count is complete).
const maxDiscrepancies = 100

// fromAnalytics turns ClickHouse's recall answer into packs.
func fromAnalytics(items []analytics.RecallItem) []Pack {
	out := make([]Pack, 0, len(items))
	for _, it := range items {
		p := Pack{EPC: it.EPC, GTIN: it.GTIN, Serial: it.Serial, Lot: it.Lot, Expiry: it.Expiry, State: it.State,
			Site: it.Site, CaseAtShipment: it.CaseAtShipment, PalletAtShipment: it.PalletAtShipment,
			Partner: it.Partner, Country: it.Country}
		if it.ShippedAt != nil {
			t := it.ShippedAt.UTC().Truncate(time.Second)
			p.ShippedAt = &t
		}
		out = append(out, p)
	}
	return out
}

// Merge combines the affected packs ClickHouse found (ch; nil when it could not answer) with
// those PostgreSQL found (pg). A recall must reach every partner that may hold a pack, so the
// union is taken: a pack only one store knows is kept, and a pack the stores attribute to two
// partners is listed for both (once per partner). Every disagreement is reported. The result
// is sorted by partner, then EPC.
func Merge(ch, pg []Pack) (packs []Pack, discrepancies []string, total int) {
	note := func(format string, a ...any) {
		total++
		if len(discrepancies) < maxDiscrepancies {
			discrepancies = append(discrepancies, fmt.Sprintf(format, a...))
		}
	}
	if ch == nil {
		packs = append(packs, pg...)
	} else {
		byEPC := make(map[string]Pack, len(ch))
		for _, p := range ch {
			byEPC[p.EPC] = p
		}
		packs = append(packs, ch...)
		inPG := make(map[string]bool, len(pg))
		for _, p := range pg {
			inPG[p.EPC] = true
			c, ok := byEPC[p.EPC]
			switch {
			case !ok:
				note("%s: in PostgreSQL only", p.EPC)
				packs = append(packs, p)
			case p.Partner != "" && p.Partner != c.Partner:
				note("%s: shipped to %q (ClickHouse) or %q (PostgreSQL); both notified", p.EPC, c.Partner, p.Partner)
				packs = append(packs, p)
			}
		}
		for _, p := range ch {
			if !inPG[p.EPC] {
				note("%s: in ClickHouse only", p.EPC)
			}
		}
	}
	sort.SliceStable(packs, func(i, j int) bool {
		if packs[i].Partner != packs[j].Partner {
			return packs[i].Partner < packs[j].Partner
		}
		return packs[i].EPC < packs[j].EPC
	})
	return packs, discrepancies, total
}

// PartnerPacks is the packs one partner received.
type PartnerPacks struct {
	PartnerGLN string
	Country    string // the country most of its packs went to
	Packs      []Pack
}

// Group splits merged packs (sorted by partner) per partner; packs without a partner (never
// shipped, or shipped to a party intake did not resolve) go to no notice.
func Group(packs []Pack) []PartnerPacks {
	var out []PartnerPacks
	for i := 0; i < len(packs); {
		j := i
		for j < len(packs) && packs[j].Partner == packs[i].Partner {
			j++
		}
		if packs[i].Partner != "" {
			out = append(out, PartnerPacks{PartnerGLN: packs[i].Partner, Country: mostCommonCountry(packs[i:j]), Packs: packs[i:j]})
		}
		i = j
	}
	return out
}

func mostCommonCountry(packs []Pack) string {
	n := map[string]int{}
	best := ""
	for _, p := range packs {
		if p.Country == "" {
			continue
		}
		n[p.Country]++
		if n[p.Country] > n[best] || (n[p.Country] == n[best] && p.Country < best) {
			best = p.Country
		}
	}
	return best
}

// Summarize counts merged packs: states and lots once per pack, partners and countries once
// per notice line.
func Summarize(packs []Pack) (Summary, int, int) {
	s := Summary{ByState: map[string]int{}, ByPartner: map[string]int{}, ByCountry: map[string]int{}, ByLot: map[string]int{}}
	seen := map[string]bool{}
	shipped := 0
	for _, p := range packs {
		if p.Partner != "" {
			s.ByPartner[p.Partner]++
			if p.Country != "" {
				s.ByCountry[p.Country]++
			}
		}
		if seen[p.EPC] {
			continue
		}
		seen[p.EPC] = true
		s.ByState[p.State]++
		s.ByLot[p.Lot]++
		switch {
		case p.ShippedAt != nil || p.Partner != "":
			shipped++
			if p.Partner == "" {
				s.NoPartner++
			}
		default:
			s.InHouse++
		}
	}
	return s, len(seen), shipped
}
