// Package recall is the recall workflow: from a recall decision of the compliance team (GTIN,
// lots, reason, class, who decided; the recall id is the business key) it computes the
// affected packs (ClickHouse's recall answer, cross-checked with PostgreSQL, the system of
// record), groups them per trading partner, builds each partner's notice as CSV and as EPCIS
// 1.2 (ObjectEvent, disposition recalled), sends the notices as obligations of the submission
// workflow through the partners' own transports (gateways/recallnotice), asks the EU Hub to
// recall every lot released there (an EU Hub obligation), and tracks the acknowledgements
// until all are in or the compliance team closes the recall (Update "close").
//
// The history carries ids and counts only: packs and notices live in PostgreSQL (migration
// 0011). The package also holds the store, the service that records decisions and starts
// workflows (ID recall-<id>, never a second run), and the REST API.
package recall

import (
	"regexp"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/domain"
	"github.com/serialhub/serialhub/schemas/gs1"
)

// Class is the recall's class (severity), as FDA classifies recalls: I (serious harm or
// death likely), II (temporary or reversible harm), III (harm unlikely).
type Class string

// The classes.
const (
	ClassI   Class = "I"
	ClassII  Class = "II"
	ClassIII Class = "III"
)

// Status is where a recall stands.
type Status string

// The statuses, in order; the last two are final.
const (
	StatusRecorded     Status = "recorded"     // decision stored, workflow starting
	StatusPreparing    Status = "preparing"    // affected packs and notices being computed
	StatusNotifying    Status = "notifying"    // notices sent, acknowledgements awaited
	StatusAcknowledged Status = "acknowledged" // every notice and EU Hub recall accepted
	StatusClosed       Status = "closed"       // closed by the compliance team, with a reason
)

// Final reports whether nothing more happens to a recall in status s.
func (s Status) Final() bool { return s == StatusAcknowledged || s == StatusClosed }

// Decision is a recall decision: what, why, how severe, decided by whom.
type Decision struct {
	ID        string   `json:"id"`
	GTIN      string   `json:"gtin"`
	Lots      []string `json:"lots"`
	Reason    string   `json:"reason"`
	Class     Class    `json:"class"`
	DecidedBy string   `json:"decided_by"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks a decision and normalises it (GTIN to 14 digits, lots trimmed and
// deduplicated); the error is CodeInvalid.
func (d *Decision) Validate() error {
	if !idPattern.MatchString(d.ID) {
		return domain.Errorf(domain.CodeInvalid, "recall id %q: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", d.ID)
	}
	g, err := gs1.ParseGTIN(d.GTIN)
	if err != nil {
		return domain.Errorf(domain.CodeInvalid, "gtin: %v", err)
	}
	d.GTIN = string(g)
	var lots []string
	seen := map[string]bool{}
	for _, l := range d.Lots {
		l = strings.TrimSpace(l)
		if l == "" || seen[l] {
			continue
		}
		if len(l) > 20 {
			return domain.Errorf(domain.CodeInvalid, "lot %q: at most 20 characters", l)
		}
		seen[l] = true
		lots = append(lots, l)
	}
	if len(lots) == 0 {
		return domain.Errorf(domain.CodeInvalid, "a recall needs at least one lot")
	}
	if len(lots) > 100 {
		return domain.Errorf(domain.CodeInvalid, "at most 100 lots per recall")
	}
	d.Lots = lots
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" {
		return domain.Errorf(domain.CodeInvalid, "a recall needs a reason")
	}
	switch d.Class {
	case ClassI, ClassII, ClassIII:
	default:
		return domain.Errorf(domain.CodeInvalid, "class %q: want I, II or III", d.Class)
	}
	d.DecidedBy = strings.TrimSpace(d.DecidedBy)
	if d.DecidedBy == "" {
		return domain.Errorf(domain.CodeInvalid, "decided_by: who decided the recall")
	}
	return nil
}

// Same reports whether two decisions are the same request (a repeated start).
func (d Decision) Same(o Decision) bool {
	return d.ID == o.ID && d.GTIN == o.GTIN && strings.Join(d.Lots, "\x00") == strings.Join(o.Lots, "\x00") &&
		d.Reason == o.Reason && d.Class == o.Class && d.DecidedBy == o.DecidedBy
}

// Pack is one affected pack as a notice lists it.
type Pack struct {
	EPC              string     `json:"epc"`
	GTIN             string     `json:"gtin"`
	Serial           string     `json:"serial"`
	Lot              string     `json:"lot"`
	Expiry           string     `json:"expiry"`
	State            string     `json:"state"`
	Site             string     `json:"site,omitempty"`
	CaseAtShipment   string     `json:"case_at_shipment,omitempty"`
	PalletAtShipment string     `json:"pallet_at_shipment,omitempty"`
	ShippedAt        *time.Time `json:"shipped_at,omitempty"`
	Partner          string     `json:"partner,omitempty"`
	Country          string     `json:"country,omitempty"`
}

// Target is one receiver of a recall and where its acknowledgement stands: a partner's
// notice or an EU Hub batch recall.
type Target struct {
	Kind         string     `json:"kind"` // notice or euhub
	PartnerGLN   string     `json:"partner_gln,omitempty"`
	Country      string     `json:"country,omitempty"`
	Lot          string     `json:"lot,omitempty"`
	Packs        int        `json:"packs,omitempty"`
	ObligationID string     `json:"obligation_id,omitempty"`
	Status       string     `json:"status"` // the submission's status; "not sent" before dispatch
	Attempts     int        `json:"attempts,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	Reasons      []string   `json:"reasons,omitempty"`
	CompletedAt  *time.Time `json:"completed_at,omitempty"`
}

// Target kinds.
const (
	TargetNotice = "notice"
	TargetEUHub  = "euhub"
)

// Recall is a recall with where it stands: what `recalls show` prints.
type Recall struct {
	Decision
	DecidedKey    int64      `json:"decided_key"`
	Status        Status     `json:"status"`
	Source        string     `json:"source,omitempty"`
	Packs         int        `json:"packs"`
	Shipped       int        `json:"shipped"`
	Summary       Summary    `json:"summary"`
	Discrepancies []string   `json:"discrepancies,omitempty"`
	Targets       []Target   `json:"targets,omitempty"`
	Acknowledged  int        `json:"acknowledged"`
	CreatedAt     time.Time  `json:"created_at"`
	PreparedAt    *time.Time `json:"prepared_at,omitempty"`
	DispatchedAt  *time.Time `json:"dispatched_at,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	ClosedBy      string     `json:"closed_by,omitempty"`
	CloseReason   string     `json:"close_reason,omitempty"`
}

// Summary counts the affected packs.
type Summary struct {
	ByState   map[string]int `json:"by_state,omitempty"`
	ByPartner map[string]int `json:"by_partner,omitempty"`
	ByCountry map[string]int `json:"by_country,omitempty"`
	ByLot     map[string]int `json:"by_lot,omitempty"`
	InHouse   int            `json:"in_house"` // never shipped: no notice, held by us
	NoPartner int            `json:"shipped_to_unknown_partner,omitempty"`
}
