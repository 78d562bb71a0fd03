// Package gs1 parses, validates and generates GS1 identification keys (GTIN, GLN, SSCC),
// EPC pure-identity URIs (TDS), GS1 element strings as read from barcodes, and GS1 Digital
// Link URIs.
//
// Values of the key types (GTIN, GLN, SSCC) are only produced by the parsers here, so code
// that holds one can rely on its length and check digit. The GS1 Company Prefix length is not
// derivable from a key, so every conversion to an EPC URI takes it explicitly.
package gs1
