// Package euhub is the EU FMD adapter: it reports to the EU Hub (Delegated Regulation
// 2016/161) through the gateway framework. Every message (product master data, one chunk of a
// batch's packs, a batch recall, a product withdrawal, a pack decommissioning or its undo) is
// an obligation carried by the generic submission workflow; this package builds its SOAP
// envelope from what was recorded in PostgreSQL (migration 0005), sends it through a
// replaceable Transport and interprets the hub's acknowledgement and alerts. The message set
// is defined in docs/gateways/euhub.md; the simulator in ./sim speaks the other side.
//
// Rules the hub would refuse are checked before anything is recorded: master data with the
// meaning of alert A16, EU serial rules (1-20 characters of GS1 CSET 82), batch and expiry
// exactly as on the pack.
package euhub
