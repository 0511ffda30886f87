-- The duplicate and re-endorse rules now read the writer's in-memory model, so no query looks a
-- triple up by time any more. Lookups by triple (listings filtered by endorser, endorsee and
-- topic) use endorsements_endorser_time; endorsements_one_live still keeps one live row per
-- triple. One index fewer to write on every endorsement.
DROP INDEX endorsements_triple_time;
