// Package gateways is the contract every reporting adapter implements (US DSCSA partners now,
// EU Hub and other regimes later), the shared transport (retrying HTTP with TLS and client
// certificates, XML-DSig enveloped signatures, the record of every exchange) and the
// PostgreSQL store of obligations, payloads and exchanges.
//
// An adapter is one sub-package with a type that satisfies Gateway: it builds the payload of
// an obligation, delivers it, and interprets the receiver's answer as accepted, pending (an
// acknowledgement will follow, by polling or callback), rejected with reasons, or retry later.
// The durable part — retries through outages, Retry-After, exceptions for compliance — lives
// in workflows/submission, not here. Adapters never import workflows or each other.
package gateways
