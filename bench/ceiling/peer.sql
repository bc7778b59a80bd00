-- The peer of `make bench-api`'s writes: one single-row INSERT per transaction
-- (bench/apibench, compareWrites), its outbox trigger firing.
\set n random(1, 999999999)
INSERT INTO participant (organisation_id, personal_identity_number, given_name, family_name, gender, birth_date)
VALUES (:org, '1999' || lpad((:n % 10000)::text, 4, '0') || '-' || lpad((:n / 10000 % 10000)::text, 4, '0'), 'Pg', 'Bench', 'woman', '1999-01-01')
ON CONFLICT DO NOTHING;
