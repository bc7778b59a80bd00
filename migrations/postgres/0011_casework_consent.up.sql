-- Casework (issue 16): consent, protected identity and anonymous participation, and the
-- situation at entry.

-- Situation at entry (situation vid inskrivning): dated attributes like the others, so the
-- set in force at a measure's start is its "before" (SUS).
ALTER TABLE participant_attributes
    ADD COLUMN labour_market_status text CHECK (labour_market_status IN ('employed', 'studying', 'unemployed',
        'long_term_unemployed', 'inactive')),
    ADD COLUMN support_source text CHECK (support_source IN ('social_assistance', 'activity_support',
        'sickness_benefit', 'wage', 'none', 'other'));

-- Protected personal data (skyddade personuppgifter) and anonymous participation. An
-- anonymous participant is kept with the least data needed for figures: gender and birth
-- date, no number, no name, no contact details.
ALTER TABLE participant
    ADD COLUMN protected_identity boolean NOT NULL DEFAULT false,
    ADD COLUMN anonymous boolean NOT NULL DEFAULT false,
    ALTER COLUMN personal_identity_number DROP NOT NULL,
    ADD CONSTRAINT participant_identified CHECK (anonymous OR personal_identity_number IS NOT NULL),
    ADD CONSTRAINT participant_anonymous_minimal CHECK (NOT anonymous OR (personal_identity_number IS NULL
        AND given_name = '' AND family_name = '' AND phone = '' AND email = ''));

-- Consent (samtycke): one row per consent given, with its scope; withdrawal closes it and
-- is kept. At most one open consent per participant and scope.
CREATE TABLE consent (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    participant_id  uuid NOT NULL,
    scope           text NOT NULL CHECK (scope IN ('register_linkage', 'follow_up', 'sus_registration')),
    given_on        date NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    withdrawn_on    date,
    withdrawn_by    text,
    withdrawn_at    timestamptz,
    FOREIGN KEY (participant_id, organisation_id) REFERENCES participant (id, organisation_id) ON DELETE CASCADE,
    CHECK ((withdrawn_on IS NULL) = (withdrawn_by IS NULL)),
    CHECK (withdrawn_on IS NULL OR withdrawn_on >= given_on),
    CONSTRAINT consent_given_on_sane CHECK (sane_date(given_on)),
    CONSTRAINT consent_withdrawn_on_sane CHECK (sane_date(withdrawn_on))
);
CREATE UNIQUE INDEX consent_open_idx ON consent (participant_id, scope) WHERE withdrawn_on IS NULL;
CREATE INDEX consent_org_idx ON consent (organisation_id, scope);
ALTER TABLE consent ENABLE ROW LEVEL SECURITY;
ALTER TABLE consent FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consent USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id));
REVOKE ALL ON consent FROM outcomes_loader;
