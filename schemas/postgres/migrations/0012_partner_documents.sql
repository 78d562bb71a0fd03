-- 0012: partners' files go through intake. A document is owned by exactly one site or one
-- trading partner; a partner's receipts and returns are stored, deduplicated, checked and
-- applied like a site's upload (docs/intake.md, Partners). 0007's partner_documents, which
-- only stored them, is moved over (same receipt ids) and dropped.

ALTER TABLE documents
    ALTER COLUMN site_id DROP NOT NULL,
    ADD COLUMN partner_gln text,
    ADD COLUMN transport   text NOT NULL DEFAULT 'https' CHECK (transport IN ('https', 'capture', 'as2')),
    ADD COLUMN key_id      bigint, -- the API key that sent it (partners'; NULL: AS2, or not recorded)
    ADD CONSTRAINT documents_one_owner CHECK ((site_id IS NULL) <> (partner_gln IS NULL));
-- A partner's duplicates, as a site's: the same bytes or the same SBDH document id.
CREATE UNIQUE INDEX documents_partner_sha256 ON documents (partner_gln, sha256) WHERE partner_gln IS NOT NULL;
CREATE UNIQUE INDEX documents_partner_document_id ON documents (partner_gln, document_id)
    WHERE partner_gln IS NOT NULL AND document_id <> '';
CREATE INDEX documents_partner ON documents (partner_gln, received_at DESC) WHERE partner_gln IS NOT NULL;

-- Files stored by 0007 were never processed: they arrive as received documents, which the
-- worker's sweep of acknowledged-but-unfinished documents hands to the ingest workflow.
INSERT INTO documents (receipt_id, partner_gln, transport, key_id, content_type, format, sha256, size, body,
                       status, errors, received_at)
SELECT receipt_id, partner_gln, transport, key_id, content_type, format, sha256, size, body,
       'received', '[]', received_at
FROM partner_documents;

DROP TABLE partner_documents;
