-- Casework that keeps its history (issue 16): corrected exits and voided enrolments,
-- exits from inactivity, action plan revisions, costs and project funding, and each
-- organisation's retention rules (gallringsregler).

-- The history of every correction of an enrolment: who, when, why, and the record
-- before and after. A voided enrolment is removed from enrolment (so that no count,
-- report or warehouse row can include it) and lives on here; hence no foreign key to
-- enrolment. Erasing the person removes their history with them.
CREATE TABLE enrolment_change (
    id              bigserial PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    participant_id  uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    enrolment_id    uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('exit_corrected', 'voided', 'inactivity_exit')),
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    before          jsonb NOT NULL,
    after           jsonb
);
CREATE INDEX enrolment_change_enrolment_idx ON enrolment_change (enrolment_id, id);
CREATE INDEX enrolment_change_org_idx ON enrolment_change (organisation_id, changed_at);
CREATE INDEX enrolment_change_participant_idx ON enrolment_change (participant_id);

-- Exits from inactivity (the WIOA rule): an organisation that sets a gap has every
-- ongoing enrolment without activity for that many days exited, dated back to its last
-- activity. No row: the rule is off for that organisation.
CREATE TABLE inactivity_rule (
    organisation_id uuid PRIMARY KEY REFERENCES organisation (id),
    gap_days        integer NOT NULL CHECK (gap_days BETWEEN 30 AND 730),
    updated_by      text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1
);

-- Every saved version of an action plan (handlingsplanens revisioner), steps included.
CREATE TABLE action_plan_revision (
    action_plan_id   uuid NOT NULL REFERENCES action_plan (id) ON DELETE CASCADE,
    version          integer NOT NULL,
    organisation_id  uuid NOT NULL REFERENCES organisation (id),
    participant_id   uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    goal             text NOT NULL,
    responsible      text NOT NULL,
    next_review_date date,
    steps            jsonb NOT NULL,
    saved_by         text NOT NULL,
    saved_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (action_plan_id, version),
    CONSTRAINT action_plan_revision_next_review_date_range CHECK (sane_date(next_review_date))
);
CREATE INDEX action_plan_revision_participant_idx ON action_plan_revision (participant_id);
-- Plans saved before this migration get their first revision at their next save (a
-- migration leaves the rows it finds as they are).

-- Recruitment-fair attendance (came / did not come): who recorded it and when.
ALTER TABLE recruitment_invitation
    ADD COLUMN attendance_recorded_by text,
    ADD COLUMN attendance_recorded_at timestamptz;

-- Cost items per enrolment (kostnader per insats), per month, in kronor.
CREATE TABLE enrolment_cost (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    participant_id  uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE,
    enrolment_id    uuid NOT NULL REFERENCES enrolment (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('wage', 'wage_subsidy_received', 'supervision', 'other')),
    month           date NOT NULL CONSTRAINT enrolment_cost_month_range CHECK (sane_date(month)) CHECK (extract(day FROM month) = 1),
    amount          numeric(12, 2) NOT NULL CHECK (amount >= 0 AND amount < 100000000),
    note            text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrolment_cost_enrolment_idx ON enrolment_cost (enrolment_id);
CREATE INDEX enrolment_cost_org_idx ON enrolment_cost (organisation_id);
CREATE INDEX enrolment_cost_participant_idx ON enrolment_cost (participant_id);

-- A project's budget, one line per funder (finansiär), in kronor.
CREATE TABLE project_funding (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    project_id      uuid NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    funder          text NOT NULL CHECK (length(funder) BETWEEN 1 AND 200),
    amount          numeric(14, 2) NOT NULL CHECK (amount > 0 AND amount < 100000000000),
    recorded_by     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, funder)
);

-- Each organisation's retention rule (gallringsregel): people whose last activity is
-- more than inactive_years old are erased from both stores. A new or changed rule is in
-- dry-run mode: scheduled runs only count whom it would erase, until an admin activates
-- it after a dry run of the rule as it stands.
CREATE TABLE retention_rule (
    organisation_id    uuid PRIMARY KEY REFERENCES organisation (id),
    inactive_years     integer NOT NULL CHECK (inactive_years BETWEEN 1 AND 100),
    mode               text NOT NULL DEFAULT 'dry_run' CHECK (mode IN ('dry_run', 'active')),
    last_dry_run_at    timestamptz,
    last_dry_run_count integer,
    last_run_at        timestamptz,
    last_run_erased    integer,
    updated_by         text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['enrolment_change', 'inactivity_rule', 'action_plan_revision', 'enrolment_cost',
        'project_funding', 'retention_rule']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (app_org_visible(organisation_id)) WITH CHECK (app_org_visible(organisation_id))', t);
    END LOOP;
END $$;
