CREATE UNIQUE INDEX endorsements_one_live ON endorsements (endorser_id, endorsee_id, topic_id)
    WHERE status <> 'revoked';
