-- The peer of the writes, written once: one single-row INSERT per transaction, its
-- outbox trigger firing. `make bench-api` (bench/apibench, compareWrites) pastes the
-- organisation in for :org; `make bench-write-ceiling` passes it with pgbench -D.
\set n random(1, 999999999)
INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
VALUES (:org, '1999' || lpad((:n % 10000)::text, 4, '0') || '-' || lpad((:n / 10000 % 10000)::text, 4, '0'), 'Pg', 'Bench', 'woman', '1999-01-01')
ON CONFLICT DO NOTHING;
