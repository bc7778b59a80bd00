-- The warehouse at scale (issue #17; docs/ARCHITECTURE.md, "The warehouse at scale").
-- rebuild: required
--
-- enrolment_outcome becomes a CollapsingMergeTree: every row carries sign, +1 for a row
-- as the loader wrote it and -1 for a cancel row, an exact copy of a row it withdraws.
-- chstore.Write cancels the live rows of every person it rewrites in the same call, so
-- sum(sign), sum(sign * known), sum(sign * hit) over the rows are the figures of the
-- newest state however many parts there are and whether or not they have merged: the
-- queries of warehouse/analytics read no FINAL and group by no key. Merges only make
-- the table smaller (a cancel row and the row it cancels disappear together).
--
-- version and deleted stay: tombstones (deleted = 1, never counted by a figure) and
-- argMax(..., version) keep working for the loader's own bookkeeping (chstore.Live,
-- chstore.Tallies). deleted is the last sort key column so that tombstones never share
-- a key with data rows, which keeps the rows of each key alternating +1, -1, +1, ... as
-- collapsing merges require.
--
-- Partitioned by exit year and sorted by organisation and exit date, so a cohort (some
-- organisations, an exit period) reads only its own granules: its time depends on the
-- cohort's size, not the table's. Open enrolments (exit_date 1970-01-01) share one
-- partition.
--
-- The old table (migrations 0001, 0002: ReplacingMergeTree read with FINAL) is dropped:
-- `outcomesctl rebuild -fresh` writes the rows again.
DROP TABLE IF EXISTS enrolment_outcome;
CREATE TABLE IF NOT EXISTS enrolment_outcome (
    org_id                 String,
    enrolment_key          String,
    person_key             String,
    gender                 String,
    birth_year             UInt16,
    measure_code           String,
    start_date             Date,
    exited                 UInt8,
    exit_date              Date,
    exit_reason            String,
    status_3               String,
    status_6               String,
    status_12              String,
    status_24              String,
    sa_3                   Int8,
    sa_6                   Int8,
    sa_12                  Int8,
    sa_24                  Int8,
    version                UInt64,
    deleted                UInt8,
    org_code               String DEFAULT '',
    age_at_start           UInt8 DEFAULT 0,
    age_band               String DEFAULT '',
    measure_category       String DEFAULT '',
    municipal_employment   UInt8 DEFAULT 0,
    project                String DEFAULT '',
    unit                   String DEFAULT '',
    newly_arrived          Int8 DEFAULT -1,
    birth_region           String DEFAULT '',
    education_level        String DEFAULT '',
    distance_category      String DEFAULT '',
    referral_source        String DEFAULT '',
    status_after           Array(UInt8),
    sa_after               Array(Int8),
    job_months_from_start  Int16 DEFAULT -1,
    job_event_from_start   UInt8 DEFAULT 0,
    job_months_from_exit   Int16 DEFAULT -1,
    job_event_from_exit    UInt8 DEFAULT 0,
    returned_sa_12         Int8 DEFAULT -1,
    reentry_12             Int8 DEFAULT -1,
    entry_number           UInt16 DEFAULT 0,
    kolada_work_or_studies Int8 DEFAULT -1,
    sus_before             String DEFAULT '',
    sus_after              String DEFAULT '',
    wioa_exit              UInt8 DEFAULT 0,
    wioa_exit_date         Date DEFAULT toDate('1970-01-01'),
    wioa_q2                Int8 DEFAULT -1,
    wioa_q4                Int8 DEFAULT -1,
    esf_last_spell         UInt8 DEFAULT 0,
    esf_entry_age_band     String DEFAULT '',
    esf_immediate          String DEFAULT '',
    esf_six_month          String DEFAULT '',
    esf_complete           UInt8 DEFAULT 0,
    sign                   Int8 DEFAULT 1
) ENGINE = CollapsingMergeTree(sign)
PARTITION BY toYear(exit_date)
ORDER BY (org_id, exit_date, enrolment_key, deleted);
