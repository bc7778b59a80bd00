-- Pseudonymised monthly participant snapshots: one row per person and calendar month
-- from their first enrolment up to the current month. person_key is a keyed hash; no
-- personal identity number and no name is ever written here. Rows are versioned;
-- read them with argMax(..., version) grouped by the key, and drop deleted = 1.
-- No partitioning by month: a loader batch spans many years, and one part per insert
-- keeps ClickHouse's merge work small.
CREATE TABLE IF NOT EXISTS participant_month (
    org_id            String,
    person_key        String,
    month             Date,
    gender            String,
    birth_year        UInt16,
    status            String,
    in_measure        UInt8,
    measure_code      String,
    social_assistance Int8,
    source            String,
    version           UInt64,
    deleted           UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, person_key, month);

-- One row per enrolment with its outcome at +3, +6, +12 and +24 months after exit.
-- Superseded by migration 0011, which recreates this table as a CollapsingMergeTree
-- (read by summing sign, never with FINAL); this first form was read with FINAL.
-- social assistance: -1 unknown, 0 no, 1 yes.
CREATE TABLE IF NOT EXISTS enrolment_outcome (
    org_id        String,
    enrolment_key String,
    person_key    String,
    gender        String,
    birth_year    UInt16,
    measure_code  String,
    start_date    Date,
    exited        UInt8,
    exit_date     Date,
    exit_reason   String,
    status_3      String,
    status_6      String,
    status_12     String,
    status_24     String,
    sa_3          Int8,
    sa_6          Int8,
    sa_12         Int8,
    sa_24         Int8,
    version       UInt64,
    deleted       UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, enrolment_key);
