-- name: InsertDocument
-- A repeated upload of the same bytes by the same site returns nothing; the caller then reads
-- the earlier receipt.
INSERT INTO documents (site_id, content_type, format, sha256, document_id, size, body)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (site_id, sha256) DO NOTHING
RETURNING receipt_id;

-- name: ReceiptBySHA
SELECT receipt_id FROM documents WHERE site_id = $1 AND sha256 = $2;

-- name: Receipt
SELECT receipt_id::text, coalesce(site_id, ''), coalesce(partner_gln, ''), transport, status, format, size, sha256, document_id, received_at,
       processed_at, events, serials, errors, error_mode, attempt, rejected_events
FROM documents WHERE receipt_id = $1;

-- name: LoadDocument
SELECT site_id, format, body, status FROM documents WHERE receipt_id = $1;

-- name: SetStatus
UPDATE documents SET status = $2 WHERE receipt_id = $1 AND status NOT IN ('processed', 'rejected');

-- name: Reject
UPDATE documents SET status = 'rejected', errors = $2, processed_at = now()
WHERE receipt_id = $1;

-- name: MarkApplied
UPDATE documents SET events = $2, serials = $3, applied_at = now()
WHERE receipt_id = $1;

-- name: MarkProcessed
UPDATE documents SET status = 'processed', processed_at = now()
WHERE receipt_id = $1 AND status <> 'rejected';

-- name: Pending
-- Documents acknowledged but whose workflow may never have started (the hub died between the
-- commit and the start): the worker starts them again; the workflow ID makes that harmless.
SELECT receipt_id::text, attempt FROM documents
WHERE status IN ('received', 'processing') AND received_at < now() - $1::interval
ORDER BY received_at LIMIT 1000;

-- name: LockForApply
-- Taken at the start of the apply transaction: a concurrent or repeated apply waits here and
-- then sees the work done.
SELECT applied_at IS NOT NULL, events, serials FROM documents WHERE receipt_id = $1 FOR UPDATE;

-- name: InsertUpload
-- The body is already in document_parts (same transaction). A repeated upload (same bytes or
-- same SBDH document id from the same site) returns nothing.
INSERT INTO documents (receipt_id, site_id, content_type, format, sha256, document_id, size, body, parts, error_mode)
VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8,
        coalesce(nullif($9, ''), (SELECT error_mode FROM intake_settings WHERE site_id = $2), 'rollback'))
ON CONFLICT DO NOTHING
RETURNING receipt_id::text;

-- name: ReceiptBySHAOrDocumentID
SELECT receipt_id::text FROM documents
WHERE site_id = $1 AND (sha256 = $2 OR ($3 <> '' AND document_id = $3))
ORDER BY received_at LIMIT 1;

-- name: SetSiteErrorMode
INSERT INTO intake_settings (site_id, error_mode) VALUES ($1, $2)
ON CONFLICT (site_id) DO UPDATE SET error_mode = excluded.error_mode, updated_at = now();

-- name: OpenDocument
SELECT coalesce(site_id, ''), coalesce(partner_gln, ''), format, status, error_mode, attempt, checked_attempt, chunks_done, applied_before, parts, body
FROM documents WHERE receipt_id = $1;

-- name: DocumentPart
SELECT data FROM document_parts WHERE receipt_id = $1 AND part = $2;
