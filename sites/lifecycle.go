package sites

import (
	"strings"

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
	if strings.HasPrefix(epc, "urn:epc:id:sgtin:") {
		if sg, err := gs1.ParseSGTINURI(epc); err == nil {
			return string(sg.GTIN), sg.Serial
		}
		return "", ""
	}
	if strings.HasPrefix(epc, "urn:epc:id:sscc:") {
		if sscc, err := gs1.ParseSSCCURI(epc); err == nil {
			return "", sscc.Value
		}
	}
	return "", ""
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
