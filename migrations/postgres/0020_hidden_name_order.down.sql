DROP INDEX IF EXISTS participant_hidden_name_order_idx;
