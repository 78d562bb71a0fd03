// Package alerts takes in the alerts the EU Hub raises (pharmacy scans, refused operations),
// stores them, and investigates each in a workflow (ID alert-<hub alert id>) that reads our own
// data, classifies the likely root cause and proposes the action; the compliance team closes
// the alert with a reason. List, filter and export go through the REST API and the CLI.
package alerts

import (
	"fmt"
	"regexp"
)

// Causes the investigation can find.
const (
	CauseScanError               = "scan_error_gs_separator"
	CauseInFlight                = "upload_in_flight"
	CauseNotUploaded             = "not_uploaded"
	CauseUploadFailed            = "upload_failed"
	CauseHubInconsistent         = "uploaded_but_not_found"
	CauseNeverCommissioned       = "never_commissioned"
	CauseUploadedWrong           = "uploaded_data_wrong"
	CausePackDiffers             = "pack_data_differs"
	CauseScanMatches             = "scan_error"
	CauseDecommissionedUs        = "already_decommissioned_by_us"
	CauseRecalled                = "batch_recalled"
	CauseDecommissionedElsewhere = "decommissioned_elsewhere"
	CauseBatchNotUploaded        = "batch_not_uploaded"
	CauseBatchUnknown            = "batch_unknown"
	CauseManual                  = "manual_review"
)

// Facts are what our own data says about the pack of an alert.
type Facts struct {
	Commissioned   bool   `json:"commissioned"`              // the serial is in our serial store
	OurLot         string `json:"our_lot,omitempty"`         // as commissioned
	OurExpiry      string `json:"our_expiry,omitempty"`      // as commissioned
	Uploaded       bool   `json:"uploaded"`                  // carried by a chunk to the EU Hub
	UploadStatus   string `json:"upload_status,omitempty"`   // that chunk's submission status
	UploadedLot    string `json:"uploaded_lot,omitempty"`    // the batch it was uploaded with
	UploadedExpiry string `json:"uploaded_expiry,omitempty"` // the expiry it was uploaded with
	LotKnown       bool   `json:"lot_known"`                 // we made packs of the alert's lot
	LotReleased    bool   `json:"lot_released"`              // the alert's lot was released to the hub
	LotUploadDone  bool   `json:"lot_upload_done"`           // ... and every chunk is accepted
	Recalled       bool   `json:"recalled"`                  // we recalled the alert's lot
	Decommissioned string `json:"decommissioned,omitempty"`  // the status we last set for the pack
	ScanCandidate  string `json:"scan_candidate,omitempty"`  // our serial the scanned value starts with
}

// Alert is what the classification needs of an alert.
type Alert struct {
	Code   string
	Lot    string
	Expiry string
	Serial string
}

// Finding is a classification: the likely cause and the proposed action.
type Finding struct {
	Cause  string `json:"cause"`
	Action string `json:"action"`
}

// gsTail matches what follows a serial when the scanner lost the GS separator: the next
// element's AI (17 expiry, 10 batch, 11 production date, 21, 7xx national codes), possibly
// truncated at 20 characters, or a separator rendered as text.
var gsTail = regexp.MustCompile(`^(<GS>|\^|~|\]d2|\\x1d|17|10|11|21|7[0-9]|1$)`)

// ScanTail reports whether scanned is known followed by a GS-separated tail.
func ScanTail(scanned, known string) bool {
	return len(scanned) > len(known) && scanned[:len(known)] == known && gsTail.MatchString(scanned[len(known):])
}

// Classify finds the likely root cause of an alert from our facts, first rule that fits.
func Classify(a Alert, f Facts) Finding {
	switch a.Code {
	case "A3":
		switch {
		case f.ScanCandidate != "":
			return Finding{CauseScanError, fmt.Sprintf("false alert: the scanned serial is our pack %s followed by the next element (GS separator lost); tell the pharmacy and its scanner vendor, close as scanning error", f.ScanCandidate)}
		case f.Uploaded && f.UploadStatus == "accepted":
			return Finding{CauseHubInconsistent, "the pack was uploaded and acknowledged: ask the national system (NMVO) to check, attach the chunk acknowledgement"}
		case f.Uploaded && (f.UploadStatus == "rejected" || f.UploadStatus == "failed" || f.UploadStatus == "cancelled"):
			return Finding{CauseUploadFailed, "the upload chunk carrying the pack did not go through: fix the reason and retry the submission (serialhub submissions retry)"}
		case f.Uploaded:
			return Finding{CauseInFlight, "the upload of the pack's batch is still in flight: wait for the chunk's acknowledgement; the pack verifies afterwards"}
		case f.Commissioned:
			return Finding{CauseNotUploaded, "we made the pack but never uploaded it: release the batch to the EU Hub now (serialhub euhub release) and check why it was shipped before upload"}
		default:
			return Finding{CauseNeverCommissioned, "we never commissioned this serial: suspected falsified pack; quarantine it and report to the national competent authority"}
		}
	case "A52", "A68":
		ours, up, scanned := f.OurExpiry, f.UploadedExpiry, a.Expiry
		if a.Code == "A68" {
			ours, up, scanned = f.OurLot, f.UploadedLot, a.Lot
		}
		switch {
		case !f.Commissioned && !f.Uploaded:
			return Finding{CauseNeverCommissioned, "we never commissioned this serial: suspected falsified pack; quarantine it and report"}
		case f.Commissioned && ours == scanned && up != "" && up != scanned:
			return Finding{CauseUploadedWrong, "the pack is right but we uploaded other data: correct the upload of the batch at the EU Hub"}
		case ours != "" && ours != scanned && (up == "" || up == ours):
			return Finding{CausePackDiffers, "the scanned pack differs from what we made and uploaded: suspected falsification or mislabelling; quarantine and report"}
		default:
			return Finding{CauseScanMatches, "our data matches the scan: likely a scanning or keying error at the pharmacy; confirm with the pharmacy"}
		}
	case "A24", "A7":
		switch {
		case f.Decommissioned != "":
			return Finding{CauseDecommissionedUs, fmt.Sprintf("we set the pack to %s: a pack in that status should not be in the supply chain; check for diversion, or undo if the status was set by mistake", f.Decommissioned)}
		case f.Recalled:
			return Finding{CauseRecalled, "the batch is recalled: the pharmacy must not dispense; no error on our side"}
		case !f.Commissioned && !f.Uploaded:
			return Finding{CauseNeverCommissioned, "we never commissioned this serial: suspected falsified pack; report"}
		default:
			return Finding{CauseDecommissionedElsewhere, "the pack was decommissioned elsewhere (dispensed or exported): possible duplicate of a genuine pack; investigate with the national system"}
		}
	case "A2":
		switch {
		case f.LotReleased && f.LotUploadDone:
			return Finding{CauseHubInconsistent, "the batch was uploaded and acknowledged: ask the national system to check"}
		case f.LotReleased:
			return Finding{CauseInFlight, "the batch's upload is still in flight: wait for the acknowledgements"}
		case f.LotKnown:
			return Finding{CauseBatchNotUploaded, "we made the batch but never uploaded it: release it to the EU Hub now"}
		default:
			return Finding{CauseBatchUnknown, "we never made this batch: suspected falsified pack; report"}
		}
	}
	return Finding{CauseManual, "no rule for this alert code: review by hand"}
}
