// Package vrs is product verification by the GS1 Lightweight Messaging Standard for
// Verification of Product Identifiers (LMS), the protocol of the US DSCSA Verification Router
// Service: the responder answers a trading partner's question "is this pack (GTIN, serial, lot,
// expiry) one of yours?" from the hub's serials, and the requester asks a partner's responder
// the same question. Every request, either way, is logged in PostgreSQL (vrs_requests).
package vrs
