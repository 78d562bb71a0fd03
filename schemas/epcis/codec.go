package epcis

import (
	"fmt"
	"strings"
)

// Decoder streams the events of one document in bounded memory. Bindings implement it.
type Decoder interface {
	// Document returns the document's header data; it is read before the first event.
	Document() (*Document, error)
	// Next returns the next event, or io.EOF after the last one.
	Next() (*Event, error)
}

// Limits bound what a decoder accepts from an untrusted document. Zero values mean the
// defaults of DefaultLimits.
type Limits struct {
	MaxDepth      int   // element or object nesting
	MaxEventBytes int64 // bytes of one event
	MaxTotalBytes int64 // bytes of the whole document
}

// DefaultLimits are generous for real documents and small enough that a hostile one cannot
// exhaust memory.
var DefaultLimits = Limits{MaxDepth: 64, MaxEventBytes: 16 << 20, MaxTotalBytes: 8 << 30}

// DecodeError says what is wrong with a document and where: which event (by index and
// line), which field, why. Event is -1 for errors outside any event (header, structure).
type DecodeError struct {
	Event int
	Line  int
	Field string
	Msg   string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.Event >= 0 {
		fmt.Fprintf(&b, "event %d", e.Event)
	} else {
		b.WriteString("document")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}
