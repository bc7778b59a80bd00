CREATE FUNCTION change_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('change_event', '');
    RETURN NULL;
END $$;
CREATE TRIGGER change_event_notify AFTER INSERT ON change_event
    FOR EACH STATEMENT EXECUTE FUNCTION change_event_notify();
