// Package as2 is AS2 (RFC 4130) for the gateways: a business document sent over HTTP(S) as an
// S/MIME message, signed with the sender's key and encrypted to the receiver's certificate
// (CMS, by github.com/smallstep/pkcs7), asking for a signed receipt (MDN) whose MIC proves
// that the receiver took exactly what was sent. Both sides are here: Pack and ParseMDN for the
// hub, Open and BuildMDN for receivers (the partner simulator, and partners sending to us).
package as2
