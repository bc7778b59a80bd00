-- Case management (issue #3): the register of staff and host workplaces, participant
-- attributes with their history, referrals, action plans and follow-ups, projects and
-- targets, enrolment details with eligibility and overrides, recruitment events, quotas,
-- and idempotency keys for create mutations.

-- Regional bodies (samordningsförbund) group member municipalities.
CREATE TABLE organisation_membership (
    regional_id uuid NOT NULL REFERENCES organisation (id),
    member_id   uuid NOT NULL REFERENCES organisation (id),
    PRIMARY KEY (regional_id, member_id),
    CHECK (regional_id <> member_id)
);

-- Staff users (handläggare, jobbcoacher) and the unit they belong to.
CREATE TABLE staff_user (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    unit_id         uuid REFERENCES unit (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email           text NOT NULL DEFAULT '',
    title           text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_user_org_idx ON staff_user (organisation_id, name, id);

-- The employer and workplace register (arbetsgivarregister).
CREATE TABLE employer (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    kind            text NOT NULL CHECK (kind IN ('municipal_department', 'municipal_company',
                        'private_company', 'association', 'own_workshop')),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    org_number      text NOT NULL DEFAULT '',
    headcount       integer CHECK (headcount IS NULL OR headcount >= 0),
    notes           text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, name)
);

CREATE TABLE employer_contact (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    employer_id uuid NOT NULL REFERENCES employer (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role        text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employer_contact_employer_idx ON employer_contact (employer_id);

CREATE TABLE employer_note (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    employer_id uuid NOT NULL REFERENCES employer (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    author      text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX employer_note_employer_idx ON employer_note (employer_id, created_at);

-- Participants: case status and responsible caseworker live on the participant;
-- attributes that change over time are rows with the date they hold from.
ALTER TABLE participant
    ADD COLUMN case_status   text NOT NULL DEFAULT 'active' CHECK (case_status IN ('active', 'paused', 'closed')),
    ADD COLUMN caseworker_id uuid REFERENCES staff_user (id),
    ADD COLUMN phone         text NOT NULL DEFAULT '',
    ADD COLUMN email         text NOT NULL DEFAULT '';

CREATE TABLE participant_attributes (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id            uuid NOT NULL REFERENCES organisation (id),
    participant_id             uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    valid_from                 date NOT NULL,
    district                   text,
    birth_region               text CHECK (birth_region IN ('sweden', 'europe', 'outside_europe')),
    newly_arrived              boolean,
    residence_permit_date      date,
    residence_permit_kind      text CHECK (residence_permit_kind IN ('refugee', 'family_member',
                                   'family_member_eu_eea', 'work', 'studies', 'other')),
    introduction_plan          boolean,
    registered_at_af           boolean,
    guarantee_days             integer CHECK (guarantee_days IS NULL OR guarantee_days BETWEEN 0 AND 10000),
    social_assistance          boolean,
    disability                 boolean,
    education_level            text CHECK (education_level IN ('pre_upper_secondary_short',
                                   'pre_upper_secondary', 'upper_secondary', 'post_secondary_short',
                                   'post_secondary_long')),
    swedish_level              text,
    distance_category          text CHECK (distance_category IN ('green', 'yellow', 'red')),
    school_programme           text CHECK (school_programme IN ('year_9', 'sprint', 'other')),
    recorded_by                text NOT NULL,
    recorded_at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (participant_id, valid_from)
);
CREATE INDEX participant_attributes_org_idx ON participant_attributes (organisation_id, participant_id, valid_from DESC);

-- Projects with funder, period, target group; enrolments may belong to one.
CREATE TABLE project (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    funder          text NOT NULL CHECK (funder IN ('esf', 'amif', 'lansstyrelsen_37',
                        'samordningsforbund', 'municipality', 'other')),
    start_date      date NOT NULL,
    end_date        date,
    target_group    text NOT NULL DEFAULT '',
    target_group_version integer NOT NULL DEFAULT 1,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR end_date >= start_date),
    UNIQUE (organisation_id, name)
);

-- Targets per period and scope (organisation, measure type, project or unit),
-- optionally split by gender.
CREATE TABLE target (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    metric          text NOT NULL CHECK (metric IN ('decisions', 'starts', 'participants',
                        'exits_to_work_or_studies', 'referrals')),
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    measure_type_id uuid REFERENCES measure_type (id),
    project_id      uuid REFERENCES project (id),
    unit_id         uuid REFERENCES unit (id),
    total           integer NOT NULL CHECK (total >= 0),
    women           integer CHECK (women IS NULL OR women >= 0),
    men             integer CHECK (men IS NULL OR men >= 0),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start)
);
CREATE INDEX target_org_idx ON target (organisation_id, period_start, id);

-- What a measure's decision is checked against (see internal/eligibility).
ALTER TABLE measure_type
    ADD COLUMN eligibility_rule text NOT NULL DEFAULT 'none'
        CHECK (eligibility_rule IN ('none', 'extra_job', 'supported_employment', 'ung_intro', 'summer_job')),
    ADD COLUMN active boolean NOT NULL DEFAULT true;

-- Enrolment details.
ALTER TABLE enrolment
    ADD COLUMN unit_id              uuid REFERENCES unit (id),
    ADD COLUMN host_employer_id     uuid REFERENCES employer (id),
    ADD COLUMN project_id           uuid REFERENCES project (id),
    ADD COLUMN occupation           text NOT NULL DEFAULT '',
    ADD COLUMN wage_payer           text CHECK (wage_payer IN ('municipality', 'host_employer', 'af', 'other')),
    ADD COLUMN subsidised           boolean,
    ADD COLUMN eligibility_basis    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN override_reason      text,
    ADD COLUMN override_by          text,
    ADD COLUMN override_at          timestamptz,
    -- Social assistance status at exit (försörjningsstöd vid avslut), recorded with the exit.
    ADD COLUMN social_assistance_at_exit boolean;
CREATE INDEX enrolment_override_idx ON enrolment (organisation_id, override_at) WHERE override_reason IS NOT NULL;
CREATE INDEX enrolment_host_idx ON enrolment (host_employer_id, decision_date);

-- Employment rate over time (sysselsättningsgrad: 25 % -> 50 % -> 100 %).
CREATE TABLE enrolment_rate (
    enrolment_id    uuid NOT NULL REFERENCES enrolment (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    valid_from      date NOT NULL,
    rate            integer NOT NULL CHECK (rate BETWEEN 1 AND 100),
    PRIMARY KEY (enrolment_id, valid_from)
);

-- Referrals (anvisning / remiss).
CREATE TABLE referral (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id      uuid NOT NULL REFERENCES organisation (id),
    participant_id       uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    source               text NOT NULL CHECK (source IN ('social_services', 'af', 'social_insurance',
                             'region', 'self', 'other')),
    referral_date        date NOT NULL,
    referring_officer    text NOT NULL DEFAULT '',
    ordered              text[] NOT NULL CHECK (cardinality(ordered) > 0),
    feedback_method      text NOT NULL DEFAULT '',
    feedback_due_date    date,
    feedback_sent_date   date,
    tripartite_meeting_date date,
    notes                text NOT NULL DEFAULT '',
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (feedback_due_date IS NULL OR feedback_due_date >= referral_date)
);
CREATE INDEX referral_participant_idx ON referral (participant_id, referral_date);
CREATE INDEX referral_feedback_idx ON referral (organisation_id, feedback_due_date) WHERE feedback_sent_date IS NULL;

-- One participant, one action plan (en klient, en handlingsplan).
CREATE TABLE action_plan (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id   uuid NOT NULL REFERENCES organisation (id),
    participant_id    uuid NOT NULL UNIQUE REFERENCES participant (id) ON DELETE CASCADE,
    goal              text NOT NULL CHECK (length(goal) BETWEEN 1 AND 2000),
    responsible       text NOT NULL DEFAULT '',
    next_review_date  date,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE action_plan_step (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    action_plan_id  uuid NOT NULL REFERENCES action_plan (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    position        integer NOT NULL,
    description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    responsible     text NOT NULL DEFAULT '',
    due_date        date,
    done_date       date,
    UNIQUE (action_plan_id, position)
);

-- Follow-up meetings (uppföljningsmöten): monthly at first, then every third month.
CREATE TABLE follow_up (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    participant_id  uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    enrolment_id    uuid REFERENCES enrolment (id) ON DELETE CASCADE,
    held_on         date NOT NULL,
    attendees       text[] NOT NULL DEFAULT '{}',
    notes           text NOT NULL DEFAULT '',
    next_due_date   date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (next_due_date > held_on)
);
CREATE INDEX follow_up_participant_idx ON follow_up (participant_id, held_on);

-- Recruitment meetings and fairs (rekryteringsträffar, rekryteringsmässor).
CREATE TABLE recruitment_event (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    kind            text NOT NULL CHECK (kind IN ('meeting', 'fair')),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    held_on         date NOT NULL,
    place           text NOT NULL DEFAULT '',
    measure_type_id uuid REFERENCES measure_type (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recruitment_event_org_idx ON recruitment_event (organisation_id, held_on, id);

CREATE TABLE recruitment_place (
    event_id        uuid NOT NULL REFERENCES recruitment_event (id) ON DELETE CASCADE,
    employer_id     uuid NOT NULL REFERENCES employer (id),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    places          integer NOT NULL CHECK (places > 0),
    PRIMARY KEY (event_id, employer_id)
);

CREATE TABLE recruitment_invitation (
    event_id        uuid NOT NULL REFERENCES recruitment_event (id) ON DELETE CASCADE,
    participant_id  uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    attended        boolean,
    PRIMARY KEY (event_id, participant_id)
);

CREATE TABLE interview (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    event_id        uuid NOT NULL REFERENCES recruitment_event (id) ON DELETE CASCADE,
    participant_id  uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    employer_id     uuid NOT NULL REFERENCES employer (id),
    notes           text NOT NULL DEFAULT '',
    offered         boolean NOT NULL DEFAULT false,
    offer_date      date,
    accepted        boolean,
    enrolment_id    uuid REFERENCES enrolment (id) ON DELETE SET NULL,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, participant_id, employer_id),
    CHECK (offered OR accepted IS NULL)
);
CREATE INDEX interview_participant_idx ON interview (participant_id);

-- Quotas (kvotering): a volume target spread over departments by headcount.
CREATE TABLE quota (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    total           integer NOT NULL CHECK (total > 0),
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    measure_type_id uuid REFERENCES measure_type (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start)
);

-- Idempotency keys: a retried create returns the first result and writes nothing new.
CREATE TABLE idempotency_key (
    organisation_id uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation       text NOT NULL,
    request_hash    text NOT NULL,
    result_id       uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, key)
);

-- Row-level security on every table that holds personal data or a tenant's records.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['staff_user', 'employer', 'employer_contact', 'employer_note', 'participant_attributes', 'project', 'target',
        'enrolment_rate', 'referral', 'action_plan', 'action_plan_step', 'follow_up',
        'recruitment_event', 'recruitment_place', 'recruitment_invitation', 'interview', 'quota',
        'idempotency_key']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id))', t);
    END LOOP;
END $$;

-- The default catalogue's rules, for organisations created before this migration.
UPDATE measure_type SET eligibility_rule = code
 WHERE code IN ('extra_job', 'supported_employment', 'ung_intro', 'summer_job');
