// Package gateways will hold the contract every country adapter implements (EU Hub, US DSCSA
// partners, ...), the shared transport (retrying HTTP, signing, the record of every exchange)
// and one sub-package per regime. See docs/architecture.md.
package gateways
