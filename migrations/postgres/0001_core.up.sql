-- Core operational schema: organisations, measure catalogue, participants, enrolments,
-- outcome observations, and the transactional outbox the loader reads.

CREATE TABLE organisation (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('municipality', 'regional_body')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE unit (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    UNIQUE (organisation_id, name)
);

-- The measure catalogue is data, per organisation (DOMAIN.md: "keep the list as data").
CREATE TABLE measure_type (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    code            text NOT NULL CHECK (code ~ '^[a-z0-9_]{2,64}$'),
    name            text NOT NULL,
    swedish_name    text NOT NULL,
    category        text NOT NULL CHECK (category IN
                      ('employment', 'practice', 'assessment', 'guidance', 'education', 'summer_job', 'other')),
    subsidised      boolean NOT NULL DEFAULT false,
    municipal_employment boolean NOT NULL DEFAULT false,
    UNIQUE (organisation_id, code)
);

CREATE TABLE participant (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id          uuid NOT NULL REFERENCES organisation (id),
    personal_identity_number text NOT NULL CHECK (personal_identity_number ~ '^[0-9]{8}-[0-9]{4}$'),
    given_name               text NOT NULL DEFAULT '',
    family_name              text NOT NULL DEFAULT '',
    gender                   text NOT NULL CHECK (gender IN ('woman', 'man', 'other', 'not_stated')),
    birth_date               date NOT NULL,
    version                  integer NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, personal_identity_number)
);
CREATE INDEX participant_org_idx ON participant (organisation_id, id);

-- Shared code list for exit destinations and later outcome statuses.
CREATE TABLE outcome_status (
    code text PRIMARY KEY
);
INSERT INTO outcome_status (code) VALUES
    ('unsubsidised_employment_full'), ('unsubsidised_employment_part'), ('subsidised_employment'),
    ('studies'), ('other_measure'), ('job_seeking'), ('sick_leave'), ('parental_leave'),
    ('moved_away'), ('dropped_out'), ('other'), ('unknown');

CREATE TABLE enrolment (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisation (id),
    participant_id   uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    measure_type_id  uuid NOT NULL REFERENCES measure_type (id),
    decision_date    date,
    start_date       date NOT NULL,
    planned_end_date date,
    end_date         date,
    exit_reason      text REFERENCES outcome_status (code),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR end_date >= start_date),
    CHECK (planned_end_date IS NULL OR planned_end_date >= start_date),
    CHECK ((end_date IS NULL) = (exit_reason IS NULL))
);
CREATE INDEX enrolment_participant_idx ON enrolment (participant_id, start_date);
CREATE INDEX enrolment_org_end_idx ON enrolment (organisation_id, end_date);

CREATE TABLE outcome_observation (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id   uuid NOT NULL REFERENCES organisation (id),
    participant_id    uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    month             date NOT NULL CHECK (extract(day FROM month) = 1),
    status            text NOT NULL REFERENCES outcome_status (code),
    social_assistance boolean,
    employment_rate   numeric(5, 2) CHECK (employment_rate IS NULL OR employment_rate BETWEEN 0 AND 100),
    source            text NOT NULL CHECK (source IN ('phone_follow_up', 'participant_survey',
                          'social_assistance_register', 'af_data', 'sus', 'employer', 'caseworker')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (participant_id, month, source)
);

-- Transactional outbox: every write to a participant's history adds a row here in the
-- same transaction. The loader marks rows processed only after ClickHouse acknowledged
-- the batch; it selects by "not processed", never by a high-water mark, because ids
-- from a sequence commit out of order.
CREATE TABLE change_event (
    id              bigserial PRIMARY KEY,
    organisation_id uuid NOT NULL,
    participant_id  uuid NOT NULL, -- no foreign key: the event must outlive an erased person
    entity          text NOT NULL,
    entity_id       uuid,
    op              text NOT NULL CHECK (op IN ('create', 'update', 'delete', 'rebuild', 'rollover')),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    processed_at    timestamptz
);
CREATE INDEX change_event_pending_idx ON change_event (id) WHERE processed_at IS NULL;

CREATE FUNCTION change_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('change_event', '');
    RETURN NULL;
END $$;
CREATE TRIGGER change_event_notify AFTER INSERT ON change_event
    FOR EACH STATEMENT EXECUTE FUNCTION change_event_notify();

-- Versions for warehouse rows. Taken as the first statement of the snapshot read, so a
-- later version always reflects a later (or equal) view of PostgreSQL.
CREATE SEQUENCE warehouse_version_seq;

-- Loader bookkeeping (month rollover).
CREATE TABLE loader_state (
    name  text PRIMARY KEY,
    value text NOT NULL
);
