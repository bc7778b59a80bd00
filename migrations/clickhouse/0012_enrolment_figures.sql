-- The pre-aggregate of the outcome figures (issue #17; docs/ARCHITECTURE.md, "The warehouse
-- at scale"). GENERATED from warehouse/analytics (AggregateViewSelect): change the
-- definitions there and run
--   go test ./warehouse/analytics -run TestAggregateMigrationIsGenerated -update-aggregate-migration
-- in a NEW migration, never in this one once applied.
--
-- enrolment_figures holds, per grouping set (gs: bit 1 gender, 2 measure, 4 age band;
-- gs 8-15 the same for WIOA exits, by the month of their WIOA exit date), organisation and
-- month, the counts of the figures the reports ask
-- for at their standard parameters: exited rows (n), rows in Kolada's and WIOA's
-- populations, and per definition the rows whose fact is known and where it holds. A
-- materialized view writes them on every insert into enrolment_outcome, each count
-- multiplied by the row's sign, so a cancel row subtracts what its row added; erasure
-- writes cancel rows too (chstore.Write cancels a person's live rows before the
-- tombstone), since a mutation never reaches a view. warehouse/analytics always reads it
-- with sum() and GROUP BY: a figure does not depend on whether the summing merges ran.
--
-- The last statement fills it from the rows already in enrolment_outcome (run while no
-- loader writes, as every migration is).
DROP TABLE IF EXISTS enrolment_figures_mv;
DROP TABLE IF EXISTS enrolment_figures;
CREATE TABLE IF NOT EXISTS enrolment_figures (
    gs UInt8,
    org_id String,
    org_code String,
    month Date,
    g_gender String,
    g_measure String,
    g_age_band String,
    n Int64,
    kolada_n Int64,
    wioa_n Int64,
    wos0_known Int64,
    wos0_hit Int64,
    wos3_known Int64,
    wos3_hit Int64,
    wos6_known Int64,
    wos6_hit Int64,
    wos12_known Int64,
    wos12_hit Int64,
    wos24_known Int64,
    wos24_hit Int64,
    ss3_known Int64,
    ss3_hit Int64,
    ss6_known Int64,
    ss6_hit Int64,
    ss12_known Int64,
    ss12_hit Int64,
    ss24_known Int64,
    ss24_hit Int64,
    lasting_known Int64,
    lasting_hit Int64,
    returned_sa_known Int64,
    returned_sa_hit Int64,
    reentry_known Int64,
    reentry_hit Int64,
    repeated_known Int64,
    repeated_hit Int64,
    kolada_known Int64,
    kolada_hit Int64,
    wioa_q2_known Int64,
    wioa_q2_hit Int64,
    wioa_q4_known Int64,
    wioa_q4_hit Int64
) ENGINE = SummingMergeTree
PARTITION BY toYear(month)
ORDER BY (gs, org_id, month, g_gender, g_measure, g_age_band, org_code)
SETTINGS index_granularity = 1024;
CREATE MATERIALIZED VIEW IF NOT EXISTS enrolment_figures_mv TO enrolment_figures AS
SELECT arrayJoin(range(if(wioa_exit = 1, 16, 8))) AS gs, org_id, org_code,
    toStartOfMonth(if(gs >= 8, wioa_exit_date, exit_date)) AS month,
    if(bitAnd(gs, 1) != 0, gender, '') AS g_gender, if(bitAnd(gs, 2) != 0, measure_code, '') AS g_measure,
    if(bitAnd(gs, 4) != 0, age_band, '') AS g_age_band,
    sum(toInt64(sign) * toInt64(exited = 1)) AS n,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2)) AS kolada_n,
    sum(toInt64(sign) * toInt64(wioa_exit = 1)) AS wioa_n,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(0 < length(status_after), status_after[0 + 1], toUInt8(0)) AS x_st0) != 0))) AS wos0_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st0 != 0) AND (has([4, 1, 2], x_st0)))) AS wos0_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(3 < length(status_after), status_after[3 + 1], toUInt8(0)) AS x_st3) != 0))) AS wos3_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st3 != 0) AND (has([4, 1, 2], x_st3)))) AS wos3_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(6 < length(status_after), status_after[6 + 1], toUInt8(0)) AS x_st6) != 0))) AS wos6_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st6 != 0) AND (has([4, 1, 2], x_st6)))) AS wos6_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(12 < length(status_after), status_after[12 + 1], toUInt8(0)) AS x_st12) != 0))) AS wos12_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st12 != 0) AND (has([4, 1, 2], x_st12)))) AS wos12_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(24 < length(status_after), status_after[24 + 1], toUInt8(0)) AS x_st24) != 0))) AS wos24_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st24 != 0) AND (has([4, 1, 2], x_st24)))) AS wos24_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(3 < length(sa_after), sa_after[3 + 1], toInt8(-1)) AS x_sa3) != -1))) AS ss3_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa3 != -1) AND (x_sa3 = 0))) AS ss3_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(6 < length(sa_after), sa_after[6 + 1], toInt8(-1)) AS x_sa6) != -1))) AS ss6_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa6 != -1) AND (x_sa6 = 0))) AS ss6_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(12 < length(sa_after), sa_after[12 + 1], toInt8(-1)) AS x_sa12) != -1))) AS ss12_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa12 != -1) AND (x_sa12 = 0))) AS ss12_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(24 < length(sa_after), sa_after[24 + 1], toInt8(-1)) AS x_sa24) != -1))) AS ss24_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa24 != -1) AND (x_sa24 = 0))) AS ss24_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((((x_st6 != 0 AND NOT has([4, 1, 2], x_st6)) OR x_sa6 = 1 OR (x_st12 != 0 AND NOT has([4, 1, 2], x_st12)) OR x_sa12 = 1) AS x_fail) OR ((x_st6 != 0 AND x_sa6 != -1 AND x_st12 != 0 AND x_sa12 != -1) AS x_all_known)))) AS lasting_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_fail OR x_all_known) AND (NOT x_fail AND x_all_known))) AS lasting_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (returned_sa_12 != -1))) AS returned_sa_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (returned_sa_12 != -1) AND (returned_sa_12 = 1))) AS returned_sa_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (reentry_12 != -1))) AS reentry_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (reentry_12 != -1) AND (reentry_12 = 1))) AS reentry_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (1))) AS repeated_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (1) AND (entry_number >= 3))) AS repeated_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2 AND (kolada_work_or_studies != -1))) AS kolada_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2 AND (kolada_work_or_studies != -1) AND (kolada_work_or_studies = 1))) AS kolada_hit,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q2 != -1))) AS wioa_q2_known,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q2 != -1) AND (wioa_q2 = 1))) AS wioa_q2_hit,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q4 != -1))) AS wioa_q4_known,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q4 != -1) AND (wioa_q4 = 1))) AS wioa_q4_hit
FROM enrolment_outcome WHERE deleted = 0
GROUP BY gs, org_id, org_code, month, g_gender, g_measure, g_age_band;
INSERT INTO enrolment_figures (gs, org_id, org_code, month, g_gender, g_measure, g_age_band, n, kolada_n, wioa_n, wos0_known, wos0_hit, wos3_known, wos3_hit, wos6_known, wos6_hit, wos12_known, wos12_hit, wos24_known, wos24_hit, ss3_known, ss3_hit, ss6_known, ss6_hit, ss12_known, ss12_hit, ss24_known, ss24_hit, lasting_known, lasting_hit, returned_sa_known, returned_sa_hit, reentry_known, reentry_hit, repeated_known, repeated_hit, kolada_known, kolada_hit, wioa_q2_known, wioa_q2_hit, wioa_q4_known, wioa_q4_hit)
SELECT arrayJoin(range(if(wioa_exit = 1, 16, 8))) AS gs, org_id, org_code,
    toStartOfMonth(if(gs >= 8, wioa_exit_date, exit_date)) AS month,
    if(bitAnd(gs, 1) != 0, gender, '') AS g_gender, if(bitAnd(gs, 2) != 0, measure_code, '') AS g_measure,
    if(bitAnd(gs, 4) != 0, age_band, '') AS g_age_band,
    sum(toInt64(sign) * toInt64(exited = 1)) AS n,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2)) AS kolada_n,
    sum(toInt64(sign) * toInt64(wioa_exit = 1)) AS wioa_n,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(0 < length(status_after), status_after[0 + 1], toUInt8(0)) AS x_st0) != 0))) AS wos0_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st0 != 0) AND (has([4, 1, 2], x_st0)))) AS wos0_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(3 < length(status_after), status_after[3 + 1], toUInt8(0)) AS x_st3) != 0))) AS wos3_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st3 != 0) AND (has([4, 1, 2], x_st3)))) AS wos3_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(6 < length(status_after), status_after[6 + 1], toUInt8(0)) AS x_st6) != 0))) AS wos6_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st6 != 0) AND (has([4, 1, 2], x_st6)))) AS wos6_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(12 < length(status_after), status_after[12 + 1], toUInt8(0)) AS x_st12) != 0))) AS wos12_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st12 != 0) AND (has([4, 1, 2], x_st12)))) AS wos12_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(24 < length(status_after), status_after[24 + 1], toUInt8(0)) AS x_st24) != 0))) AS wos24_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_st24 != 0) AND (has([4, 1, 2], x_st24)))) AS wos24_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(3 < length(sa_after), sa_after[3 + 1], toInt8(-1)) AS x_sa3) != -1))) AS ss3_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa3 != -1) AND (x_sa3 = 0))) AS ss3_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(6 < length(sa_after), sa_after[6 + 1], toInt8(-1)) AS x_sa6) != -1))) AS ss6_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa6 != -1) AND (x_sa6 = 0))) AS ss6_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(12 < length(sa_after), sa_after[12 + 1], toInt8(-1)) AS x_sa12) != -1))) AS ss12_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa12 != -1) AND (x_sa12 = 0))) AS ss12_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((if(24 < length(sa_after), sa_after[24 + 1], toInt8(-1)) AS x_sa24) != -1))) AS ss24_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_sa24 != -1) AND (x_sa24 = 0))) AS ss24_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND ((((x_st6 != 0 AND NOT has([4, 1, 2], x_st6)) OR x_sa6 = 1 OR (x_st12 != 0 AND NOT has([4, 1, 2], x_st12)) OR x_sa12 = 1) AS x_fail) OR ((x_st6 != 0 AND x_sa6 != -1 AND x_st12 != 0 AND x_sa12 != -1) AS x_all_known)))) AS lasting_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (x_fail OR x_all_known) AND (NOT x_fail AND x_all_known))) AS lasting_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (returned_sa_12 != -1))) AS returned_sa_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (returned_sa_12 != -1) AND (returned_sa_12 = 1))) AS returned_sa_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (reentry_12 != -1))) AS reentry_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (reentry_12 != -1) AND (reentry_12 = 1))) AS reentry_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND (1))) AS repeated_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND (1) AND (entry_number >= 3))) AS repeated_hit,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2 AND (kolada_work_or_studies != -1))) AS kolada_known,
    sum(toInt64(sign) * toInt64(exited = 1 AND kolada_work_or_studies != -2 AND (kolada_work_or_studies != -1) AND (kolada_work_or_studies = 1))) AS kolada_hit,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q2 != -1))) AS wioa_q2_known,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q2 != -1) AND (wioa_q2 = 1))) AS wioa_q2_hit,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q4 != -1))) AS wioa_q4_known,
    sum(toInt64(sign) * toInt64(wioa_exit = 1 AND (wioa_q4 != -1) AND (wioa_q4 = 1))) AS wioa_q4_hit
FROM enrolment_outcome WHERE deleted = 0
GROUP BY gs, org_id, org_code, month, g_gender, g_measure, g_age_band;
