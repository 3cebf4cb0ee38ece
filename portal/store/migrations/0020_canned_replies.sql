-- Canned replies (issue 23, item 4): texts admins keep for staff to answer cases with. Admins add, edit
-- and delete them (each change audited); every member of staff who works cases reads them. A reply sent
-- from one is copied into the case's thread, so editing or deleting it never changes what a holder read.
CREATE TABLE canned_replies (
    id          uuid PRIMARY KEY,
    title       text NOT NULL UNIQUE CHECK (length(title) BETWEEN 1 AND 120),
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL
);
GRANT UPDATE, DELETE ON canned_replies TO portal_app;   -- admins edit and delete them
