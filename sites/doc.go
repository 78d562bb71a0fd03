// Package sites is the hub's side facing the packaging sites: their master data and API keys,
// the intake API a site's serialization manager uploads EPCIS documents to, and the
// PostgreSQL store of uploaded documents and of every serial's state.
//
// An upload is acknowledged (202 with a receipt id) only after its bytes are committed to
// PostgreSQL; processing happens later in the ingest workflow (package workflows/ingest).
package sites
