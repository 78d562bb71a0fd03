// Package domain holds the hub's own vocabulary — callers, receipts, serial states and the
// error type every layer speaks — with no dependencies beyond the standard library. Storage,
// transport and workflows import it; it imports nothing of ours.
package domain

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an Error. Transports map codes to their own statuses in one table each
// (HTTP in schemas/api); workflows map them to retryable or not.
type Code string

// The error codes.
const (
	CodeInvalid      Code = "invalid"      // the caller sent something wrong; retrying will not help
	CodeUnauthorized Code = "unauthorized" // no or unknown credentials
	CodeForbidden    Code = "forbidden"    // known caller, not allowed to touch this
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict" // clashes with existing state
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
)

// Error is an error with a code and a message for humans. Wrap it with %w to add context;
// ErrorCode finds it again.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the human message of the first *Error in err's chain, or a generic
// text that reveals nothing of the internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Role is what kind of caller a principal is.
type Role string

// The roles.
const (
	RoleAdmin   Role = "admin"   // corporate compliance and operations: everything
	RoleSite    Role = "site"    // a site's serialization manager: its own site only
	RolePartner Role = "partner" // a trading partner: its own files only
)

// Principal is an authenticated caller.
type Principal struct {
	KeyID     int64
	Role      Role
	SiteID    string // for RoleSite
	PartnerID string // for RolePartner
}

// CanActForSite reports whether p may act on site's data.
func (p Principal) CanActForSite(site string) bool {
	return p.Role == RoleAdmin || (p.Role == RoleSite && site != "" && p.SiteID == site)
}

// CanActForPartner reports whether p may act on the trading partner's data (its files and
// receipts): an admin, or that partner's own key.
func (p Principal) CanActForPartner(gln string) bool {
	return p.Role == RoleAdmin || (p.Role == RolePartner && gln != "" && p.PartnerID == gln)
}

// ReceiptStatus is where an uploaded document stands.
type ReceiptStatus string

// The receipt statuses. A document is received (stored durably, acknowledged), then
// processing by its ingest workflow, then processed or rejected.
const (
	StatusReceived   ReceiptStatus = "received"
	StatusProcessing ReceiptStatus = "processing"
	StatusProcessed  ReceiptStatus = "processed"
	StatusRejected   ReceiptStatus = "rejected"
)

// Receipt is what the hub says about an uploaded document.
type Receipt struct {
	ID string `json:"receipt_id"`
	// SiteID is the site that uploaded the document, PartnerGLN the trading partner that
	// sent it (its receipts and returns): exactly one of them is set.
	SiteID      string        `json:"site_id,omitempty"`
	PartnerGLN  string        `json:"partner_gln,omitempty"`
	Transport   string        `json:"transport,omitempty"` // partners: https, capture or as2
	Status      ReceiptStatus `json:"status"`
	Format      string        `json:"format"`
	Size        int64         `json:"size"`
	SHA256      string        `json:"sha256"`
	DocumentID  string        `json:"document_id,omitempty"`
	ReceivedAt  time.Time     `json:"received_at"`
	ProcessedAt *time.Time    `json:"processed_at,omitempty"`
	Events      int           `json:"events"`
	Serials     int           `json:"serials"`
	Errors      []string      `json:"errors,omitempty"`
	Duplicate   bool          `json:"duplicate,omitempty"` // this upload repeated an earlier one
	// ErrorMode is the capture error behaviour: rollback (one bad event rejects the document)
	// or proceed (the good events are accepted, the bad ones go to the exception queue).
	ErrorMode      string `json:"error_mode,omitempty"`
	Attempt        int    `json:"attempt,omitempty"`         // processing runs (reprocessing adds one)
	RejectedEvents int    `json:"rejected_events,omitempty"` // events of the last attempt in the exception queue
}

// SerialState is the lifecycle state of a serialised item.
type SerialState string

// Serial states (issue 4 completes the lifecycle).
const (
	StateCommissioned   SerialState = "commissioned"
	StatePacked         SerialState = "packed"
	StateShipped        SerialState = "shipped"
	StateDecommissioned SerialState = "decommissioned"
	StateReceived       SerialState = "received"
	StateReturned       SerialState = "returned"
	StateDestroyed      SerialState = "destroyed"
	StateSampled        SerialState = "sampled"
	StateDispensed      SerialState = "dispensed"
	StateRecalled       SerialState = "recalled"
)

// RecallItem is one pack of a recall answer.
type RecallItem struct {
	EPC         string    `json:"epc"`
	GTIN        string    `json:"gtin"`
	Serial      string    `json:"serial"`
	Lot         string    `json:"lot"`
	Expiry      string    `json:"expiry"`
	Parent      string    `json:"parent,omitempty"`
	Site        string    `json:"site"`
	LastEvent   time.Time `json:"last_event"`
	LastBizStep string    `json:"last_biz_step"`
}

// EPCEvent is one event flattened to one identifier: the row shape of the analytics store,
// produced from the system of record.
type EPCEvent struct {
	EventTime   time.Time
	EventID     string
	ReceiptID   string
	SiteID      string
	EventType   string
	Action      string
	BizStep     string
	Disposition string
	ReadPoint   string
	BizLocation string
	EPC         string
	Role        string // "epc" (epcList) or "child" (childEPCs)
	GTIN        string
	Serial      string
	Lot         string
	Expiry      string
	ParentEPC   string
	LineID      string // packaging line, when the site says which
	Partner     string // shipments: the partner shipped to (destination owning party)
	Country     string // shipments: the partner's country (ISO 3166 alpha-2)
	Source      string // first source (owning party or location), as written
	Destination string // first destination (owning party or location), as written
}

// Site is a packaging site: a level-3 serialization manager that uploads to the hub.
type Site struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	GLN       string    `json:"gln"`
	Country   string    `json:"country"`
	CreatedAt time.Time `json:"created_at"`
}

// Delivery is how the hub reaches a trading partner (or another receiver of reports): the
// delivery settings of the partner's master-data record. Secrets are never in it, only the
// references the binary resolves (env:NAME, file:PATH).
type Delivery struct {
	GLN     string `json:"gln"`
	Name    string `json:"name"`
	Country string `json:"country"`
	// Gateway is the adapter reports to the partner go through (dscsa, euhub); "" none.
	Gateway string `json:"gateway"`
	// Transport is https (POST of the file), capture (EPCIS 2.0 REST capture) or as2.
	Transport      string `json:"transport"`
	Endpoint       string `json:"endpoint"`
	CredentialsRef string `json:"credentials_ref,omitempty"`
	Enabled        bool   `json:"enabled"`
	// AS2 agreement: the partner's AS2 identifier, ours as the partner knows us, and the
	// partner's certificate (PEM: encrypt to it, verify its signatures and MDNs).
	AS2ID    string `json:"as2_id,omitempty"`
	AS2OurID string `json:"as2_our_id,omitempty"`
	AS2Cert  string `json:"as2_cert,omitempty"`
	// VRS: where the partner answers verification requests (base URL) and the credentials.
	VRSEndpoint       string `json:"vrs_endpoint,omitempty"`
	VRSCredentialsRef string `json:"vrs_credentials_ref,omitempty"`
}
