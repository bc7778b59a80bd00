DROP TABLE consent;
DELETE FROM participant WHERE anonymous;
ALTER TABLE participant
    DROP CONSTRAINT participant_anonymous_minimal,
    DROP CONSTRAINT participant_identified,
    ALTER COLUMN personal_identity_number SET NOT NULL,
    DROP COLUMN anonymous,
    DROP COLUMN protected_identity;
ALTER TABLE participant_attributes DROP COLUMN support_source, DROP COLUMN labour_market_status;
