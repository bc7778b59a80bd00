-- A caseworker's list of participants by name (participant.NameOrderSQL for a caller who
-- does not see protected identities) sorts a protected identity as the blank names it
-- shows, so that its place among the others gives nothing of its names away. Its order
-- has an index of its own, as the plain name order has participant_name_order_idx
-- (migration 0004): a page stays an index scan of its rows, not a sort of the whole
-- organisation.
CREATE INDEX participant_hidden_name_order_idx ON participant (organisation_id,
    (CASE WHEN protected_identity THEN '' ELSE family_name END),
    (CASE WHEN protected_identity THEN '' ELSE given_name END), id);
