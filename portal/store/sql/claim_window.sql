-- mark_late --
UPDATE challenges SET late = true WHERE id = %(id)s

-- is_late --
SELECT c.late FROM requests r JOIN challenges c ON c.id = r.challenge_id WHERE r.id = %(request_id)s

-- late_among --
SELECT r.id FROM requests r JOIN challenges c ON c.id = r.challenge_id
WHERE r.id = ANY(%(ids)s) AND c.late
