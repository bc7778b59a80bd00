-- One createParticipant as the API sends it to PostgreSQL, with no API: the transaction
-- with the caller's scope (db/pipetx.go scopeSQL), the idempotency key's claim
-- (idempotency/idempotency.go), the participant (participant/store.go insert; its
-- outbox trigger fires) and the write's audit row (audit/write.go), in one pipeline.
\set n random(1, 999999999)
\startpipeline
BEGIN;
SELECT set_config('app.org_ids', :org, true), set_config('app.ref_org_ids', '', true);
INSERT INTO idempotency_key (organisation_id, key, operation, request_hash, result_id)
VALUES (:org, 'ceiling-' || :n || '-' || random(), 'createParticipant', md5(:n::text), gen_random_uuid())
ON CONFLICT (organisation_id, key) DO NOTHING RETURNING true;
INSERT INTO participant (id, organisation_id, personal_identity_number, given_name, family_name,
        gender, birth_date, phone, email, caseworker_id, protected_identity, anonymous)
VALUES (gen_random_uuid(), :org, '1944' || lpad((:n % 10000)::text, 4, '0') || '-' || lpad((:n / 10000 % 10000)::text, 4, '0'),
        'Pg', 'Ceiling', 'woman', '1944-01-01', '', '', NULL, false, false)
ON CONFLICT (organisation_id, personal_identity_number) DO NOTHING
RETURNING id, organisation_id, given_name, family_name, gender, birth_date, case_status, version, created_at;
INSERT INTO audit_log (subject, role, organisation_id, action, entity, entity_id, operation, request_id)
SELECT 'bench-ceiling', 'caseworker', :org, 'write', e, nullif(i, ''), 'createParticipant', 'ceiling'
FROM unnest(ARRAY['participant'], ARRAY['x']) AS u(e, i) WHERE false OR txid_current_if_assigned() IS NOT NULL;
COMMIT;
\endpipeline
