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
SELECT receipt_id::text, site_id, status, format, size, sha256, document_id, received_at,
       processed_at, events, serials, errors
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
SELECT receipt_id::text FROM documents
WHERE status IN ('received', 'processing') AND received_at < now() - $1::interval
ORDER BY received_at LIMIT 1000;

-- name: LockForApply
-- Taken at the start of the apply transaction: a concurrent or repeated apply waits here and
-- then sees the work done.
SELECT applied_at IS NOT NULL, events, serials FROM documents WHERE receipt_id = $1 FOR UPDATE;
