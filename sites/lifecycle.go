package sites

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/epcis"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// op is what an event does to the identifiers it names.
type op uint8

const (
	opNone       op = iota // recorded, no state change (inspecting, a transaction...)
	opCommission           // ObjectEvent ADD: the identifiers come into existence
	opPack                 // AggregationEvent ADD: children into the parent
	opUnpack               // AggregationEvent DELETE: children out of the parent (all of them if none named)
	opState                // the identifiers (and what they contain, if propagate) take a new state
)

// lifecycle says what e does: its op, the state it sets (opState) and whether the state
// reaches the contents of the identifiers named (a shipped pallet ships its cases and packs).
func lifecycle(e *epcis.Event) (o op, state domain.SerialState, propagate bool) {
	switch e.Type {
	case epcis.AggregationEvent:
		switch e.Action {
		case epcis.ActionAdd:
			return opPack, domain.StatePacked, false
		case epcis.ActionDelete:
			return opUnpack, domain.StateCommissioned, false
		}
		return opNone, "", false
	case epcis.ObjectEvent:
	default:
		return opNone, "", false
	}
	disp := vocabName(e.Disposition)
	switch e.Action {
	case epcis.ActionAdd:
		return opCommission, domain.StateCommissioned, false
	case epcis.ActionDelete:
		if disp == "destroyed" {
			return opState, domain.StateDestroyed, true
		}
		return opState, domain.StateDecommissioned, false
	}
	switch disp {
	case "recalled":
		return opState, domain.StateRecalled, true
	case "destroyed":
		return opState, domain.StateDestroyed, true
	case "dispensed", "partially_dispensed":
		return opState, domain.StateDispensed, false
	case "returned":
		return opState, domain.StateReturned, true
	}
	switch vocabName(e.BizStep) {
	case "shipping":
		return opState, domain.StateShipped, true
	case "receiving":
		return opState, domain.StateReceived, true
	case "decommissioning":
		return opState, domain.StateDecommissioned, false
	case "destroying":
		return opState, domain.StateDestroyed, true
	case "sampling":
		return opState, domain.StateSampled, false
	case "dispensing", "retail_selling":
		return opState, domain.StateDispensed, false
	}
	return opNone, "", false
}

// inactive reports whether nothing may happen to an identifier in state s any more.
func inactive(s domain.SerialState) bool {
	return s == domain.StateDestroyed || s == domain.StateDecommissioned
}

// vocabName reduces a CBV value in any of its forms (bare, URN, web URI, CURIE) to its bare
// name: urn:epcglobal:cbv:bizstep:shipping, https://ref.gs1.org/cbv/BizStep-shipping and
// cbv:BizStep-shipping all become shipping.
func vocabName(s string) string {
	if i := strings.LastIndexAny(s, ":/"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 && (strings.HasPrefix(s, "BizStep-") || strings.HasPrefix(s, "Disp-")) {
		s = s[i+1:]
	}
	return s
}

// splitEPC returns the GTIN and serial of an SGTIN, the SSCC of an SSCC (as serial), or
// empty strings for other identifiers.
func splitEPC(epc string) (gtin, serial string) {
	if body, ok := strings.CutPrefix(epc, sgtinPrefix); ok {
		head, tail, plain := splitSGTIN(body)
		if plain {
			if g, ok := gtinOfHead.Load(head); ok {
				return g.(string), tail
			}
		}
		sg, err := gs1.ParseSGTINURI(epc)
		if err != nil {
			return "", ""
		}
		if plain && gtinHeads.Add(1) <= maxGTINHeads {
			gtinOfHead.Store(strings.Clone(head), string(sg.GTIN))
		}
		return string(sg.GTIN), sg.Serial
	}
	if strings.HasPrefix(epc, "urn:epc:id:sscc:") {
		if sscc, err := gs1.ParseSSCCURI(epc); err == nil {
			return "", sscc.Value
		}
	}
	return "", ""
}

const sgtinPrefix = "urn:epc:id:sgtin:"

// gtinOfHead remembers the GTIN of an SGTIN's "CompanyPrefix.ItemRef" once an SGTIN with that
// head parsed: an intake names millions of serials of a few products, and building the GTIN
// (check digit included) for each was a good part of the rules' time. At most maxGTINHeads
// heads are kept.
var (
	gtinOfHead   sync.Map
	gtinHeads    atomic.Int64
	maxGTINHeads = int64(100_000)
)

// splitSGTIN splits the body of an SGTIN URI (after the prefix) into "CompanyPrefix.ItemRef"
// and the serial. plain says the serial is 1 to 20 letters and digits: as written, it is
// the serial (nothing to unescape, every character valid), so the head alone decides the rest.
func splitSGTIN(body string) (head, tail string, plain bool) {
	i := strings.IndexByte(body, '.')
	if i < 0 {
		return "", "", false
	}
	j := strings.IndexByte(body[i+1:], '.')
	if j < 0 {
		return "", "", false
	}
	head, tail = body[:i+1+j], body[i+1+j+1:]
	if len(tail) == 0 || len(tail) > 20 {
		return head, tail, false
	}
	for k := 0; k < len(tail); k++ {
		c := tail[k]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return head, tail, false
		}
	}
	return head, tail, true
}

// lineOf returns the packaging line an event's read point names: the extension of the
// site's SGLN (urn:epc:id:sgln:4012345.00000.L1 is line L1), when the site has such a line.
func lineOf(readPoint string, lines map[string]bool) string {
	if !strings.HasPrefix(readPoint, "urn:epc:id:sgln:") {
		return ""
	}
	_, ext, _, err := gs1.ParseSGLNURI(readPoint)
	if err != nil || !lines[ext] {
		return ""
	}
	return ext
}

// locationGLN returns the GLN of an SGLN URI or a bare GLN, or "".
func locationGLN(s string) string {
	if strings.HasPrefix(s, "urn:epc:id:sgln:") {
		if g, _, _, err := gs1.ParseSGLNURI(s); err == nil {
			return string(g)
		}
		return ""
	}
	if g, err := gs1.ParseGLN(s); err == nil {
		return string(g)
	}
	return ""
}

// firstOf returns the value of the first source or destination, preferring owning_party,
// then location.
func firstOf(sd []epcis.SourceDest) string {
	for _, want := range []string{"owning_party", "location", ""} {
		for _, x := range sd {
			if want == "" || vocabName(x.Type) == want {
				return x.Value
			}
		}
	}
	return ""
}
