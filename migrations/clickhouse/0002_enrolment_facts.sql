-- Outcome analytics (issue #5): each enrolment_outcome row also carries the
-- participant's characteristics at the start of the measure and the per-enrolment facts
-- the definitions in warehouse/outcomes compute, so that every cohort figure is one
-- scan of this table (migration 0011 recreates it with every column below and a sign,
-- so that the scan needs no deduplication). status_after[k+1] / sa_after[k+1] are the status and
-- social assistance (-1 unknown, 0 no, 1 yes) in calendar month exit + k, k = 0..36,
-- unknown / -1 where nothing was observed or the month has not come yet. Statuses are
-- stored as small codes (snapshot.StatusCodes: 0 unknown, 1 unsubsidised_employment_full,
-- ...): reading an element of an Array(String) is ten times slower on 18.16.
-- Facts that may be unknown are Int8: -1 unknown, 0 no, 1 yes. reentry_12 is the
-- re-entry fact as of the load's month (no re-entry is known only once the 12-month
-- window has passed). kolada_work_or_studies is also -2: the exit is not a leaving (the
-- person moved on to another of our measures), so the enrolment is outside the Kolada
-- indicator's population. WIOA and ESF count people, not enrolments: their figures sit
-- on the row of the last enrolment of a closed WIOA period of participation
-- (wioa_exit = 1; queries count it once wioa_exit_date + 90 days has come) or of an ESF
-- record (esf_last_spell = 1).
-- One column per ALTER: 18.16 fails a multi-column ALTER as a whole when one of its
-- columns exists, so only single-column statements can be rerun safely.
ALTER TABLE enrolment_outcome ADD COLUMN org_code String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN age_at_start UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN age_band String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN measure_category String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN municipal_employment UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN project String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN unit String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN newly_arrived Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN birth_region String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN education_level String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN distance_category String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN referral_source String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN status_after Array(UInt8);
ALTER TABLE enrolment_outcome ADD COLUMN sa_after Array(Int8);
ALTER TABLE enrolment_outcome ADD COLUMN job_months_from_start Int16 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN job_event_from_start UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN job_months_from_exit Int16 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN job_event_from_exit UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN returned_sa_12 Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN reentry_12 Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN entry_number UInt16 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN kolada_work_or_studies Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN sus_before String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN sus_after String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN wioa_exit UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN wioa_exit_date Date DEFAULT toDate('1970-01-01');
ALTER TABLE enrolment_outcome ADD COLUMN wioa_q2 Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN wioa_q4 Int8 DEFAULT -1;
ALTER TABLE enrolment_outcome ADD COLUMN esf_last_spell UInt8 DEFAULT 0;
ALTER TABLE enrolment_outcome ADD COLUMN esf_entry_age_band String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN esf_immediate String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN esf_six_month String DEFAULT '';
ALTER TABLE enrolment_outcome ADD COLUMN esf_complete UInt8 DEFAULT 0;
