-- list_replies --
SELECT id, title, text, created_by, created_at, updated_by, updated_at
FROM canned_replies
ORDER BY lower(title), id

-- get_reply --
SELECT id, title, text, created_by, created_at, updated_by, updated_at
FROM canned_replies
WHERE id = %(id)s

-- insert_reply --
INSERT INTO canned_replies (id, title, text, created_by, created_at, updated_by, updated_at)
VALUES (%(id)s, %(title)s, %(text)s, %(actor)s, %(at)s, %(actor)s, %(at)s)
RETURNING id, title, text, created_by, created_at, updated_by, updated_at

-- update_reply --
UPDATE canned_replies SET title = %(title)s, text = %(text)s, updated_by = %(actor)s, updated_at = %(at)s
WHERE id = %(id)s
RETURNING id, title, text, created_by, created_at, updated_by, updated_at

-- delete_reply --
DELETE FROM canned_replies
WHERE id = %(id)s
RETURNING id, title, text, created_by, created_at, updated_by, updated_at
