package as2

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// Receiver takes AS2 messages that partners send to the hub. A partner is authenticated by
// its signature, checked against the certificate of its master-data record (as2_cert);
// there is no bearer token in AS2.
type Receiver struct {
	Self     Identity
	Settings SettingsSource
	// MaxBytes caps a message; default 256 MiB.
	MaxBytes int64
}

// Serve opens the message from partner gln, hands the document to take and answers a
// signed MDN: processed with the MIC when take succeeds, processed/error otherwise. A
// partner without AS2 settings is answered 404 without an MDN.
func (rc *Receiver) Serve(w http.ResponseWriter, r *http.Request, gln string, take func(ctx context.Context, m Received) error) {
	st, err := rc.Settings.Settings(r.Context(), gln)
	if err != nil || st.GLN != gln { // a location's GLN is not the partner: its files are filed under its own
		http.Error(w, "no AS2 agreement with this partner", http.StatusNotFound)
		return
	}
	max := rc.MaxBytes
	if max <= 0 {
		max = 256 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		http.Error(w, "message too large or cut", http.StatusRequestEntityTooLarge)
		return
	}
	m, err := Open(r.Header, body, rc.Self, st.Cert)
	mdn := MDN{ReportingUA: "serialhub", Recipient: st.From, OriginalMessageID: m.MessageID, Disposition: DispositionProcessed, MIC: m.MIC}
	if err == nil && m.To != "" && m.To != st.From {
		err = &Error{Modifier: "unexpected-processing-error", Detail: "AS2-To is not ours: " + m.To}
	}
	if err == nil {
		err = take(r.Context(), m)
	}
	if err != nil {
		mod := "unexpected-processing-error"
		var ae *Error
		if errors.As(err, &ae) {
			mod = ae.Modifier
		}
		mdn.Disposition, mdn.MIC, mdn.Text = DispositionError(mod), "", err.Error()
	} else {
		mdn.Text = "received"
	}
	ct, out, err := BuildMDN(mdn, rc.Self)
	if err != nil {
		http.Error(w, "cannot sign the receipt", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("AS2-From", quoteAS2(st.From))
	w.Header().Set("AS2-To", quoteAS2(st.To))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
