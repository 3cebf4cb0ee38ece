-- record_seen --
INSERT INTO seen_lookalikes AS s (host, first_seen, last_seen, seen_count, reasons, matched)
SELECT seen.host, %(at)s, %(at)s, seen.times, seen.reasons, seen.matched
FROM jsonb_to_recordset(%(seen)s::jsonb) AS seen(host text, times bigint, reasons text[], matched text)
WHERE EXISTS (SELECT 1 FROM seen_lookalikes known WHERE known.host = seen.host)
   OR (SELECT count(*) FROM (SELECT 1 FROM seen_lookalikes WHERE status = 'new' LIMIT %(cap)s) AS waiting) < %(cap)s
ORDER BY seen.host
ON CONFLICT (host) DO UPDATE SET
    last_seen = greatest(s.last_seen, excluded.last_seen),
    seen_count = s.seen_count + excluded.seen_count,
    reasons = (SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
                   SELECT DISTINCT r FROM unnest(s.reasons || excluded.reasons) AS r LIMIT 8) AS distinct_reasons),
    matched = coalesce(s.matched, excluded.matched)

-- list_seen --
SELECT host, first_seen, last_seen, seen_count, reasons, matched, status, decided_by, decided_at
FROM seen_lookalikes
WHERE (%(status)s::text IS NULL OR status = %(status)s)
ORDER BY seen_count DESC, host
LIMIT %(limit)s

-- decide --
UPDATE seen_lookalikes SET status = %(status)s, decided_by = %(actor)s, decided_at = %(at)s
WHERE host = %(host)s
RETURNING host, first_seen, last_seen, seen_count, reasons, matched, status, decided_by, decided_at

-- confirmed_since --
SELECT host FROM seen_lookalikes
WHERE status = 'confirmed' AND (%(since)s::timestamptz IS NULL OR decided_at > %(since)s)
ORDER BY host
