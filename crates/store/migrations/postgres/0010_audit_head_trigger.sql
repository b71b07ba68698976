-- The audit chain's head follows every appended record (R-OP-2): the
-- append is one statement fewer inside the writer's transaction, and the
-- head cannot drift from the log. It only moves forward: a row put back
-- by hand (a restore) does not move it. Appends still lock the head row first
-- (SELECT … FOR UPDATE), which serializes them.
CREATE FUNCTION audit_head_follows() RETURNS trigger AS $$
BEGIN UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND seq < NEW.seq; RETURN NEW; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_head_follows();
