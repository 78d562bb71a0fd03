// Package epcisjson is the EPCIS 2.0 JSON-LD binding: a streaming Decoder from JSON-LD
// documents (EPCISDocument, EPCISQueryDocument, or one bare event) to the epcis model, and a
// streaming Encoder back.
//
// JSON-LD is read as JSON with the conventions of the standard context
// (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld): standard terms by name,
// user fields as "prefix:name" with prefixes taken from @context objects (of the document and
// of each event). No remote context is fetched. A user field maps to an epcis.Element: an
// array to repeated elements of the same name, an object to children, and scalars to text with
// the JSON kind kept (epcis.KindNumber, KindBool, KindNull) so that numbers and booleans
// survive a JSON round trip.
//
// The decoder treats its input as untrusted: it bounds nesting depth, the bytes of one event
// and of the whole document (epcis.Limits), and reports every problem as an *epcis.DecodeError
// naming the event index and the field.
package epcisjson
