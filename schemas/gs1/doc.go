// Package gs1 parses, validates and generates GS1 identification keys (GTIN, GLN, SSCC),
// EPC pure-identity URIs (GS1 Tag Data Standard), GS1 element strings as read from
// barcodes, and GS1 Digital Link URIs.
//
// # Keys
//
// Values of the key types (GTIN, GLN, SSCC) come from the parsers here, so code that holds
// one can rely on its length and check digit. GTIN-8/12/13 are normalised to 14 digits.
// The GS1 Company Prefix length is not derivable from a key (it needs GS1's prefix
// registry), so every conversion to an EPC URI takes it explicitly and fails without it.
//
// # AI rules come from the Syntax Dictionary
//
// The released GS1 Barcode Syntax Dictionary is embedded (data/) and parsed at start-up:
// lengths, character sets (N, X = CSET 82, Y = CSET 39, Z = CSET 64), predefined-length
// AIs, content checks ("linters" such as csum, csumalpha, yymmd0, hhmi), req=/ex= pair
// rules and Digital Link primary keys with their ordered qualifiers. Linters that need
// external code lists (iso3166, iso4217, packagetype) or that cover coupons are reported
// in Unchecked fields, never silently passed. Errors name the AI and the position:
// "AI (17): day 32 is not valid", "AI (01): check digit 3 should be 5",
// "AI (21) requires AI (01) or AI (03) or AI (8006)"; see AIError, SyntaxError,
// URIError and DLError.
//
// # Leniency, on purpose
//
// Input is accepted as scanners and partners produce it, output is strict:
//   - element strings may lack a symbology identifier, may start with GS, may use "^"
//     for FNC1 and may end with a superfluous FNC1;
//   - Digital Link paths may use GTIN-8/12/13 and the alphabetic short names (/gtin/,
//     /lot/, /ser/...); generated links always use numeric AIs and 14-digit GTINs;
//   - EPC URIs may use lower-case hex in %HH escapes; generated URIs use upper case.
//
// ParseAny detects the notation and returns the AIs and keys in one Result.
package gs1
