-- Back to hex hashes, a stored prev_hash and a stored payload for every entry. The payload of
-- endorsement.created is rebuilt from its row as RFC 8785 JSON: keys in order, strings quoted by
-- to_json (plusk's handles, slugs and key names are plain ASCII; a note with characters JSON
-- escapes differently under RFC 8785 would not round-trip, and `ledger verify` would say so).
ALTER TABLE ledger ADD COLUMN prev_hash TEXT;
ALTER TABLE ledger ALTER COLUMN hash TYPE TEXT USING encode(hash, 'hex');
UPDATE ledger l SET
    prev_hash = COALESCE(p.prev, repeat('0', 64)),
    payload = COALESCE(l.payload, p.created, 'null')
FROM (
    SELECT l2.seq,
           lag(l2.hash) OVER (ORDER BY l2.seq) AS prev,
           '{"created_at":' || to_json(to_char(e.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
           || ',"created_by":' || COALESCE(to_json(k.name)::text, 'null')
           || ',"endorsee":' || to_json(b.handle)::text
           || ',"endorser":' || to_json(a.handle)::text
           || ',"id":' || e.id
           || ',"note":' || COALESCE(to_json(e.note)::text, 'null')
           || ',"topic":' || to_json(t.slug)::text || '}' AS created
    FROM ledger l2
    LEFT JOIN endorsements e ON e.id = l2.seq AND l2.payload IS NULL
    LEFT JOIN users a ON a.id = e.endorser_id
    LEFT JOIN users b ON b.id = e.endorsee_id
    LEFT JOIN topics t ON t.id = e.topic_id
    LEFT JOIN api_keys k ON k.id = e.created_by
) p
WHERE p.seq = l.seq;
ALTER TABLE ledger ALTER COLUMN payload SET NOT NULL;
ALTER TABLE ledger ALTER COLUMN prev_hash SET NOT NULL;
-- prev_hash was the last column; put hash back after it, as the table was created.
ALTER TABLE ledger RENAME COLUMN hash TO hash_old;
ALTER TABLE ledger ADD COLUMN hash TEXT;
UPDATE ledger SET hash = hash_old;
ALTER TABLE ledger DROP COLUMN hash_old;
ALTER TABLE ledger ALTER COLUMN hash SET NOT NULL;
