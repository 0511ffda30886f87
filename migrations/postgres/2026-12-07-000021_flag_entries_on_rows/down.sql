-- Going back would need each flag.raised payload written out again byte for byte, which SQL
-- cannot do (JSON numbers in canonical form), so it is refused while any flag keeps its entry.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM flags WHERE entry_hash IS NOT NULL) THEN
        RAISE EXCEPTION 'migration 21 cannot be reverted: flags keep their flag.raised entries';
    END IF;
END
$$;
ALTER TABLE flags DROP COLUMN entry_hash, DROP COLUMN entry_status;
