// Package epcisxml reads and writes the XML bindings of EPCIS 1.2 (namespace
// urn:epcglobal:epcis:xsd:1) and EPCIS 2.0 (urn:epcglobal:epcis:xsd:2) to and from the
// binding-neutral model of package epcis.
//
// Documents from trading partners are untrusted and can be large, so the Decoder streams:
// it reads the header eagerly (Document) and then builds one event per Next call, holding
// no more than that event in memory. It reports every problem as an *epcis.DecodeError
// naming the event, line and field.
//
// One Decoder reads both versions and detects which from the root element's namespace.
// EPCIS 1.2 hides its later additions inside <extension> wrappers (TransformationEvent in
// EventList/extension, AssociationEvent in EventList/extension/extension, ILMD and
// source/destination lists in the event's extension, eventID and errorDeclaration in
// baseExtension); the Decoder looks through those wrappers, so both versions yield the same
// events. The Encoder writes them back in the order each version's XSD demands, so that
// converting between 1.2 and 2.0 is decoding one and encoding the other.
//
// What the Decoder accepts, and why:
//
//   - Roots: EPCISDocument, EPCISQueryDocument (events of QueryResults; a Poll is checked
//     and yields none), EPCISMasterDataDocument (master data only), the capture
//     interface's EPCISCaptureJob and EPCISException (no events), and a bare event as
//     root (the openepcis Capture/Events files), read as a one-event document.
//   - Any <!DOCTYPE> is refused, even the inert `<!DOCTYPE project>` some GS1 examples
//     carry: a DTD is the door to entity expansion and external fetches, and no EPCIS
//     document needs one. Only UTF-8, US-ASCII and ISO-8859-1 are read.
//   - epcis.Limits bound nesting depth, the bytes of one event (and, outside events, of
//     the header and of any one element) and of the whole document; the limits are enforced
//     on the input stream, so an endless text node fails instead of being buffered.
//   - Element order is checked where the XSDs check it (the invalid examples demand it);
//     EPCIS 1.2 content inside extension/extension, and 1.2's AssociationEvent, sit in lax
//     wildcards and are read in any order.
//   - Beyond well-formedness the Decoder checks what the model needs: eventTime and
//     eventTimeZoneOffset present and well-formed, action present and valid where the
//     type has one (and absent from TransformationEvent), TransactionEvent's
//     bizTransactionList, AssociationEvent's parentID, decimal quantities, typed sources
//     and destinations, and cbvmda:itemExpirationDate as a date, since the hub recalls by
//     it.
//   - Tolerated: elements qualified with an EPCIS namespace where the XSD wants them
//     unqualified, and eventTime without a zone (read in eventTimeZoneOffset).
//
// Namespaced elements the model does not interpret (user extensions, ILMD, extensions of
// readPoint, bizLocation, errorDeclaration and sensorElement) are kept as epcis.Element
// trees with their namespaces and the prefixes the document used.
package epcisxml
