// Package dscsa is the US DSCSA adapter: per shipment to a trading partner, an EPCIS 1.2 file
// per the GS1 US DSCSA implementation guideline R1.3 (SBDH sender and receiver, transaction
// statement, product and location master data, commissioning with lot and expiry, the
// aggregations of the whole shipped hierarchy, the shipping event with its purchase order and
// despatch advice), signed with an enveloped XML-DSig signature and delivered by the partner's
// transport: HTTPS POST of the file or EPCIS 2.0 REST capture (POST /capture, then polling the
// capture job). See docs/gateways/dscsa.md.
package dscsa
