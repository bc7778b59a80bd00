-- Frozen monthly steering reports (issue 13): the report of month M as it was shown,
-- frozen on a configured day of M+1 (trigger 'scheduled', at most one per organisation
-- and month) or on demand. content is the protected report (aggregates only; every
-- small count already hidden), so a reopened edition shows exactly what was shown.
CREATE TABLE report_edition (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    month           date NOT NULL CHECK (extract(day FROM month) = 1) CHECK (sane_date(month)),
    frozen_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    frozen_by       text NOT NULL,
    trigger         text NOT NULL CHECK (trigger IN ('scheduled', 'on_demand')),
    content         jsonb NOT NULL
);
CREATE INDEX report_edition_org_month_idx ON report_edition (organisation_id, month, frozen_at);
CREATE UNIQUE INDEX report_edition_scheduled_idx ON report_edition (organisation_id, month) WHERE trigger = 'scheduled';

-- Signed report links are single use: the link's id is recorded when it is opened.
CREATE TABLE report_link_use (
    link_id  text PRIMARY KEY,
    used_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
