-- name: InsertObligation
-- Deriving an obligation twice (a retried hook, a re-ingested document) finds the first.
INSERT INTO obligations (id, gateway, kind, subject, event_pk, receipt_id, site_id, partner_gln)
VALUES ($1, $2, $3, $4, nullif($5, 0), nullif($6, '')::uuid, $7, $8)
ON CONFLICT (id) DO NOTHING;

-- name: Obligation
SELECT id, gateway, kind, subject, coalesce(event_pk, 0), coalesce(receipt_id::text, ''), site_id,
       partner_gln, created_at
FROM obligations WHERE id = $1;

-- name: Submission
SELECT o.id, o.gateway, o.kind, o.subject, coalesce(o.receipt_id::text, ''), o.site_id, o.partner_gln,
       o.status, o.attempts, o.ack_ref, o.reasons, o.last_error, o.next_attempt, o.created_at,
       o.updated_at, o.completed_at, coalesce(p.id, 0), coalesce(p.size, 0), coalesce(p.content_type, ''),
       coalesce(encode(p.sha256, 'hex'), '')
FROM obligations o LEFT JOIN payloads p ON p.id = o.payload_id
WHERE o.id = $1;

-- name: ListSubmissions
-- Newest first; $1 status, $2 partner GLN, $3 gateway ('' = any), $4 limit.
SELECT o.id, o.gateway, o.kind, o.subject, coalesce(o.receipt_id::text, ''), o.site_id, o.partner_gln,
       o.status, o.attempts, o.ack_ref, o.reasons, o.last_error, o.next_attempt, o.created_at,
       o.updated_at, o.completed_at, coalesce(p.id, 0), coalesce(p.size, 0), coalesce(p.content_type, ''),
       coalesce(encode(p.sha256, 'hex'), '')
FROM obligations o LEFT JOIN payloads p ON p.id = o.payload_id
WHERE ($1 = '' OR o.status = $1) AND ($2 = '' OR o.partner_gln = $2) AND ($3 = '' OR o.gateway = $3)
ORDER BY o.created_at DESC, o.id
LIMIT $4;

-- name: SetStatus
-- Final statuses stay final unless the caller reopens (retry) on purpose: $4 = true.
UPDATE obligations SET status = $2, last_error = $3, updated_at = now(),
    completed_at = CASE WHEN $2 IN ('accepted', 'rejected', 'cancelled', 'failed') THEN now() ELSE NULL END
WHERE id = $1 AND ($4 OR status NOT IN ('accepted', 'rejected', 'cancelled', 'failed'));

-- name: SetAttempt
UPDATE obligations SET status = $2, attempts = greatest(attempts, $3), last_error = $4,
    next_attempt = $5, updated_at = now()
WHERE id = $1 AND status NOT IN ('accepted', 'rejected', 'cancelled', 'failed');

-- name: Finish
UPDATE obligations SET status = $2, reasons = $3, ack_ref = $4, last_error = $5,
    next_attempt = NULL, updated_at = now(), completed_at = now()
WHERE id = $1 AND status NOT IN ('accepted', 'rejected', 'cancelled');

-- name: SetAckRef
UPDATE obligations SET status = 'awaiting_ack', ack_ref = $2, next_attempt = NULL, updated_at = now()
WHERE id = $1 AND status NOT IN ('accepted', 'rejected', 'cancelled', 'failed');

-- name: InsertPayload
INSERT INTO payloads (obligation_id, stage, content_type, filename, sha256, size, body)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (obligation_id, stage) DO NOTHING
RETURNING id;

-- name: SetPayload
UPDATE obligations SET payload_id = $2, updated_at = now() WHERE id = $1;

-- name: PayloadByStage
SELECT id, content_type, filename, body FROM payloads WHERE obligation_id = $1 AND stage = $2;

-- name: Payload
SELECT id, content_type, filename, body FROM payloads WHERE id = $1 AND obligation_id = $2;

-- name: DeletePayloads
-- A retry after a rejection rebuilds the file (the data may have been corrected).
WITH cleared AS (UPDATE obligations SET payload_id = NULL WHERE id = $1 RETURNING id)
DELETE FROM payloads WHERE obligation_id IN (SELECT id FROM cleared);

-- name: InsertExchange
INSERT INTO exchanges (obligation_id, attempt, step, transport, method, url, payload_id,
    idempotency_key, request_headers, status_code, response_headers, response_body, outcome,
    error, tries, started_at, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, 0), $8, $9, $10, $11, $12, $13, $14, $15, $16, $17);

-- name: Exchanges
SELECT id, attempt, step, transport, method, url, coalesce(payload_id, 0), idempotency_key,
       request_headers, status_code, response_headers, response_body, outcome, error, tries,
       started_at, duration_ms
FROM exchanges WHERE obligation_id = $1 ORDER BY id;

-- name: InsertEventParty
INSERT INTO event_parties (event_pk, kind, type, value) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING;

-- name: ShippingEvents
-- The shipping events of a document, by position: the hook reads their parties from the
-- stored document.
SELECT idx, id, event_id FROM epcis_events
WHERE receipt_id = $1 AND biz_step LIKE '%shipping' ORDER BY idx;

-- name: PendingObligations
-- Obligations derived but never finished whose workflow may not have started (the hook died
-- between the insert and the start): the sweep starts them again, harmlessly.
SELECT id, gateway FROM obligations
WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1)
ORDER BY created_at LIMIT 1000;
