-- Trading partners' files in intake (partner.go, partner_rules.go; migration 0012).

-- name: InsertPartnerUpload
-- As InsertUpload, for a partner's file: the body is already in document_parts (same
-- transaction); the same bytes or SBDH document id from the same partner return nothing.
INSERT INTO documents (receipt_id, partner_gln, content_type, format, sha256, document_id, size, body, parts, error_mode,
                       transport, key_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, coalesce(nullif($9, ''), 'rollback'), $10, nullif($11::bigint, 0))
ON CONFLICT DO NOTHING
RETURNING receipt_id::text;

-- name: PartnerReceiptBySHAOrDocumentID
SELECT receipt_id::text FROM documents
WHERE partner_gln = $1 AND (sha256 = $2 OR ($3 <> '' AND document_id = $3))
ORDER BY received_at LIMIT 1;

-- name: PartnerReceiptIDs
SELECT receipt_id::text FROM documents WHERE partner_gln = $1 ORDER BY received_at DESC LIMIT $2;

-- name: PartnerScope
-- The partner's own GLN and those of its locations: where its events may happen.
SELECT gln, country, location_glns FROM partners WHERE gln = $1;

-- name: OurLocations
-- Our sites' GLNs and SGLNs: where a partner may ship packs back to.
SELECT gln, sgln FROM sites;

-- name: ShippedTo
-- The partner each identifier was last shipped to by one of our sites (a shipment names the
-- outermost container; the caller walks up from a pack to its case and pallet).
SELECT DISTINCT ON (x.epc) x.epc, e.partner, e.event_time
FROM event_epcs x
JOIN epcis_events e ON e.id = x.event_pk
JOIN documents d ON d.receipt_id = e.receipt_id
WHERE x.epc = ANY($1::text[]) AND e.partner <> '' AND d.site_id IS NOT NULL
ORDER BY x.epc, e.event_time DESC;
