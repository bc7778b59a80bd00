DROP TABLE IF EXISTS retention_rule;
DROP TABLE IF EXISTS project_funding;
DROP TABLE IF EXISTS enrolment_cost;
ALTER TABLE recruitment_invitation DROP COLUMN IF EXISTS attendance_recorded_at, DROP COLUMN IF EXISTS attendance_recorded_by;
DROP TABLE IF EXISTS action_plan_revision;
DROP TABLE IF EXISTS inactivity_rule;
DROP TABLE IF EXISTS enrolment_change;
