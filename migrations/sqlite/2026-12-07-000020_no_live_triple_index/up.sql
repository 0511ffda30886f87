-- One live endorsement per triple is the writer's rule, decided on its in-memory model under
-- the write lock (issue 11); no query reads this index, and keeping it cost every write an
-- index entry (17 bytes an endorsement here, 40 on PostgreSQL).
DROP INDEX endorsements_one_live;
