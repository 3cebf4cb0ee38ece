-- The holder journey (issue 11): a destination chain per challenge and request, the one-line
-- Solana challenge style, the exact unsigned transaction of a solana_tx challenge, and the holder's
-- answers to a needs_info request.
ALTER TABLE challenges ADD COLUMN destination_chain text;
UPDATE challenges SET destination_chain = CASE WHEN destination LIKE '0x%' THEN 'evm' ELSE 'solana' END;
ALTER TABLE challenges ALTER COLUMN destination_chain SET NOT NULL,
    ADD CONSTRAINT challenges_destination_chain CHECK (destination_chain IN ('evm', 'solana')),
    ADD CONSTRAINT challenges_destination_form CHECK ((destination_chain = 'evm') = (destination LIKE '0x%'));
ALTER TABLE challenges ADD COLUMN message_style text NOT NULL DEFAULT 'standard'
    CHECK (message_style IN ('standard', 'one_line'));
-- base64 wire form of the legacy transaction a solana_tx challenge asks to sign (signature zeroed)
ALTER TABLE challenges ADD COLUMN unsigned_transaction text
    CHECK (unsigned_transaction IS NULL OR method = 'solana_tx');

ALTER TABLE requests ADD COLUMN destination_chain text;
UPDATE requests SET destination_chain = CASE WHEN destination LIKE '0x%' THEN 'evm' ELSE 'solana' END;
ALTER TABLE requests ALTER COLUMN destination_chain SET NOT NULL,
    ADD CONSTRAINT requests_destination_chain CHECK (destination_chain IN ('evm', 'solana')),
    ADD CONSTRAINT requests_destination_form CHECK ((destination_chain = 'evm') = (destination LIKE '0x%'));

-- What the holder said back when staff asked for more information; ``proof`` is the new proof
-- given with it (method, challenge id, submitted text, verification detail), if any.
CREATE TABLE request_answers (
    id         bigserial PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES requests (id),
    at         timestamptz NOT NULL,
    text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    proof      jsonb
);
CREATE INDEX request_answers_request ON request_answers (request_id, at, id);
