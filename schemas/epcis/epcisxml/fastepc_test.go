package epcisxml

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// sameAsParser decodes b twice: as the intake does, and one byte per read, which leaves the
// buffer nearly empty so that fastEPC never has a whole <epc> to read and the parser reads
// every identifier. Events and errors (message, event, line) must be the same.
func sameAsParser(t *testing.T, b []byte, lim epcis.Limits) {
	t.Helper()
	read := func(slow bool) ([]*epcis.Event, string) {
		r := iotestReader(b, slow)
		d := NewDecoder(r, lim)
		_, err := d.Document()
		var evs []*epcis.Event
		for err == nil {
			var ev *epcis.Event
			if ev, err = d.Next(); err == nil {
				evs = append(evs, ev)
			}
		}
		return evs, fmt.Sprint(err)
	}
	fast, fastErr := read(false)
	slow, slowErr := read(true)
	if fastErr != slowErr {
		t.Fatalf("error with the fast path %q, without %q", fastErr, slowErr)
	}
	if d := diff(fast, slow); d != "" {
		t.Fatalf("events differ with the fast path: %s", d)
	}
}

func iotestReader(b []byte, slow bool) interface{ Read([]byte) (int, error) } {
	if slow {
		return iotest.OneByteReader(bytes.NewReader(b))
	}
	return bytes.NewReader(b)
}

// TestFastEPC checks that the identifier fast path reads what the parser reads, and fails
// where and how the parser fails, for plain lists and for every form it leaves to the parser.
func TestFastEPC(t *testing.T) {
	epcs := func(n int, sep string) string {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "%s<epc>urn:epc:id:sgtin:0614141.107346.%d</epc>", sep, i)
		}
		return sb.String()
	}
	event := func(list string) string {
		return fmt.Sprintf(doc20, `<ObjectEvent><eventTime>2025-01-01T10:00:00+01:00</eventTime>`+
			`<eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList>`+list+`</epcList><action>ADD</action></ObjectEvent>`)
	}
	agg := func(list string) string {
		return fmt.Sprintf(doc20, `<AggregationEvent><eventTime>2025-01-01T10:00:00+01:00</eventTime>`+
			`<eventTimeZoneOffset>+01:00</eventTimeZoneOffset><parentID>urn:epc:id:sscc:0614141.1234567890</parentID>`+
			`<childEPCs>`+list+`</childEPCs><action>ADD</action></AggregationEvent>`)
	}
	big := epcs(20000, "\n  ") // crosses the 64 KiB read-ahead many times
	tests := map[string]string{
		"plain":              event(epcs(50, "")),
		"lines":              event(big),
		"crlf and tabs":      event(epcs(50, "\r\n\t")),
		"childEPCs":          agg(big),
		"escaped":            event(epcs(5, "\n") + "<epc>urn:epc:id:sgtin:0614141.107346.a&amp;b</epc>" + epcs(5, "\n")),
		"non-ASCII":          event(epcs(5, "\n") + "<epc>urn:epc:id:sgtin:0614141.107346.é</epc>" + epcs(5, "\n")),
		"spaces inside":      event(epcs(5, "\n") + "<epc> urn:epc:id:sgtin:0614141.107346.x </epc>" + epcs(5, "\n")),
		"comment":            event(epcs(5, "\n") + "<!-- c --><epc>urn:epc:id:sgtin:0614141.107346.x</epc>" + epcs(5, "\n")),
		"cdata":              event(epcs(5, "\n") + "<epc><![CDATA[urn:x]]></epc>" + epcs(5, "\n")),
		"empty epc":          event(epcs(300, "\n") + "<epc></epc>"),
		"empty element":      event(epcs(300, "\n") + "<epc/>"),
		"other element":      event(epcs(300, "\n") + "<foo>x</foo>"),
		"stray text":         event(epcs(300, "\n") + "\ntext"),
		"gt inside":          event(epcs(300, "\n") + "<epc>a]]>b</epc>"),
		"unclosed":           event(epcs(300, "\n") + "<epc>urn:x</epcs>"),
		"prefixed":           event(epcs(5, "\n") + `<e:epc xmlns:e="urn:epcglobal:epcis:xsd:2">urn:x</e:epc>` + epcs(5, "\n")),
		"other default ns":   event(`<epc xmlns="urn:other">urn:x</epc>` + epcs(5, "\n")),
		"default ns at list": strings.Replace(event(epcs(5, "\n")), "<epcList>", `<epcList xmlns="urn:other">`, 1),
		"empty list":         strings.Replace(event(""), "<epcList></epcList>", "<epcList/>"+epcs(3, ""), 1),
		"truncated":          event(big)[:len(event(big))/2],
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) { sameAsParser(t, []byte(doc), epcis.Limits{}) })
	}
	t.Run("depth", func(t *testing.T) {
		sameAsParser(t, []byte(event(epcs(300, "\n"))), epcis.Limits{MaxDepth: 4})
	})
	t.Run("event bytes", func(t *testing.T) {
		sameAsParser(t, []byte(event(big)), epcis.Limits{MaxEventBytes: 100 << 10})
	})
}
