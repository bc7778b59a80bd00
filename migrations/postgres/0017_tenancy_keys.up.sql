-- Rules that were kept only by the Go code, stated by the database (docs/DATABASE.md:
-- "every invariant holds for a write in plain SQL").

-- A child row's organisation is its parent's: the tables of migration 0012 referenced
-- their parents by id alone, so a cost, a funding line, a plan revision or an enrolment
-- change could be stamped with another organisation (or, for a cost, name one person's
-- enrolment and another person). internal/platform/db TestEveryTenantKeyNamesTheOrganisation
-- finds any such key.
ALTER TABLE enrolment_cost
    DROP CONSTRAINT enrolment_cost_enrolment_id_fkey,
    DROP CONSTRAINT enrolment_cost_participant_id_fkey,
    ADD CONSTRAINT enrolment_cost_enrolment_fkey FOREIGN KEY (enrolment_id, participant_id, organisation_id)
        REFERENCES enrolment (id, participant_id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT enrolment_cost_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE project_funding
    DROP CONSTRAINT project_funding_project_id_fkey,
    ADD CONSTRAINT project_funding_project_fkey FOREIGN KEY (project_id, organisation_id)
        REFERENCES project (id, organisation_id) ON DELETE CASCADE;

ALTER TABLE enrolment_change
    DROP CONSTRAINT enrolment_change_participant_id_fkey,
    ADD CONSTRAINT enrolment_change_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

-- A revision is of its participant's plan.
ALTER TABLE action_plan ADD CONSTRAINT action_plan_id_person_org_key UNIQUE (id, participant_id, organisation_id);
ALTER TABLE action_plan_revision
    DROP CONSTRAINT action_plan_revision_action_plan_id_fkey,
    DROP CONSTRAINT action_plan_revision_participant_id_fkey,
    ADD CONSTRAINT action_plan_revision_plan_fkey FOREIGN KEY (action_plan_id, participant_id, organisation_id)
        REFERENCES action_plan (id, participant_id, organisation_id) ON DELETE CASCADE,
    ADD CONSTRAINT action_plan_revision_participant_fkey FOREIGN KEY (participant_id, organisation_id)
        REFERENCES participant (id, organisation_id) ON DELETE CASCADE;

-- An interview is by an employer that offers places at the event (recordInterview's
-- rule; the fair's summary counts interviews through the places, so one by another
-- employer would silently count nowhere). Deleting the event removes both.
ALTER TABLE recruitment_place ADD CONSTRAINT recruitment_place_event_employer_org_key UNIQUE (event_id, employer_id, organisation_id);
ALTER TABLE interview ADD CONSTRAINT interview_place_fkey FOREIGN KEY (event_id, employer_id, organisation_id)
    REFERENCES recruitment_place (event_id, employer_id, organisation_id);

-- What a referral orders is one of the known orders (the API's ReferralOrder enum):
-- any other value could not be shown.
ALTER TABLE referral ADD CONSTRAINT referral_ordered_known CHECK (ordered <@ ARRAY['work_capacity_assessment',
    'work_practice', 'job_help', 'labour_market_employment', 'mapping']::text[]);

-- A regional body's members are municipalities (addRegionalMember's rule): the
-- membership lets the regional body's readers see its members' aggregates, so a
-- municipality written in as another's "regional body" would read its figures. The kinds
-- ride along as constant columns so that keys to (id, kind) state it.
ALTER TABLE organisation ADD CONSTRAINT organisation_id_kind_key UNIQUE (id, kind);
ALTER TABLE organisation_membership
    ADD COLUMN regional_kind text NOT NULL DEFAULT 'regional_body' CHECK (regional_kind = 'regional_body'),
    ADD COLUMN member_kind text NOT NULL DEFAULT 'municipality' CHECK (member_kind = 'municipality'),
    ADD CONSTRAINT organisation_membership_regional_kind_fkey FOREIGN KEY (regional_id, regional_kind)
        REFERENCES organisation (id, kind),
    ADD CONSTRAINT organisation_membership_member_kind_fkey FOREIGN KEY (member_id, member_kind)
        REFERENCES organisation (id, kind);

-- An offer is not dated before its event (makeOffer's rule).
CREATE FUNCTION interview_offer_after_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad boolean;
BEGIN
    IF TG_TABLE_NAME = 'interview' THEN
        SELECT NEW.offer_date < e.held_on INTO bad FROM recruitment_event e WHERE e.id = NEW.event_id;
    ELSE
        SELECT EXISTS (SELECT 1 FROM interview i WHERE i.event_id = NEW.id AND i.offer_date < NEW.held_on) INTO bad;
    END IF;
    IF bad THEN
        RAISE EXCEPTION 'an offer is dated before its recruitment event'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'interview_offer_after_event';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER interview_offer_after_event AFTER INSERT OR UPDATE OF offer_date, event_id ON interview
    FOR EACH ROW WHEN (NEW.offer_date IS NOT NULL) EXECUTE FUNCTION interview_offer_after_event();
CREATE CONSTRAINT TRIGGER interview_offer_after_event AFTER UPDATE OF held_on ON recruitment_event
    FOR EACH ROW EXECUTE FUNCTION interview_offer_after_event();

-- State that only moves one way (answerOffer, makeOffer, withdrawConsent, the history
-- tables, activateRetentionRule), stated by the database, so that a hand-written fix
-- cannot quietly undo it: an acceptance is final and an answer only turns from a decline
-- into an acceptance, and an answered offer keeps its date; a withdrawn consent stays
-- withdrawn as it was (reopening it would allow register linkage again); the history of
-- corrections and of plans is appended to, never rewritten (erasure deletes it with the
-- person); a retention rule erases only after a dry run of it as it stands.
CREATE FUNCTION one_way_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE msg text;
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'interview' THEN
        IF OLD.accepted AND NEW.accepted IS DISTINCT FROM true OR NOT OLD.accepted AND NEW.accepted IS NULL THEN
            msg := 'an answer to an offer only turns from a decline into an acceptance';
        ELSIF (NEW.offered, NEW.offer_date) IS DISTINCT FROM (OLD.offered, OLD.offer_date) THEN
            msg := 'an answered offer is not changed';
        END IF;
    WHEN 'consent' THEN
        msg := 'a withdrawn consent is not changed';
    ELSE
        msg := 'history is appended to, not rewritten';
    END CASE;
    IF msg IS NOT NULL THEN
        RAISE EXCEPTION '%', msg USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_one_way';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER interview_one_way BEFORE UPDATE ON interview
    FOR EACH ROW WHEN (OLD.accepted IS NOT NULL) EXECUTE FUNCTION one_way_state();
CREATE TRIGGER consent_one_way BEFORE UPDATE ON consent
    FOR EACH ROW WHEN (OLD.withdrawn_on IS NOT NULL) EXECUTE FUNCTION one_way_state();
CREATE TRIGGER enrolment_change_one_way BEFORE UPDATE ON enrolment_change
    FOR EACH ROW EXECUTE FUNCTION one_way_state();
CREATE TRIGGER action_plan_revision_one_way BEFORE UPDATE ON action_plan_revision
    FOR EACH ROW EXECUTE FUNCTION one_way_state();
ALTER TABLE retention_rule ADD CONSTRAINT retention_rule_active_after_dry_run
    CHECK (mode = 'dry_run' OR last_dry_run_at IS NOT NULL);
