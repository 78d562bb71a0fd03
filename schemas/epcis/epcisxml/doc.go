// Package epcisxml reads and writes the XML bindings of EPCIS 1.2 (namespace
// urn:epcglobal:epcis:xsd:1) and EPCIS 2.0 (urn:epcglobal:epcis:xsd:2) to and from the
// binding-neutral model of package epcis.
//
// Documents from trading partners are untrusted and can be large, so the Decoder streams:
// it reads the header eagerly (Document) and then builds one event per Next call, holding
// no more than that event in memory. It refuses DTDs, enforces epcis.Limits and reports
// every problem as an *epcis.DecodeError naming the event, line and field.
//
// One Decoder reads both versions and detects which from the root element's namespace.
// EPCIS 1.2 hides its later additions inside <extension> wrappers (TransformationEvent in
// EventList/extension, AssociationEvent in EventList/extension/extension, ILMD and
// source/destination lists in the event's extension, eventID and errorDeclaration in
// baseExtension); the Decoder looks through those wrappers, so both versions yield the same
// events. The Encoder writes them back in the order each version's XSD demands.
package epcisxml
