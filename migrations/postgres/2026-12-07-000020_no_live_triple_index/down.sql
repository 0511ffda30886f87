-- The columns keep their new order: nothing reads them by position.
CREATE UNIQUE INDEX endorsements_one_live ON endorsements (endorser_id, endorsee_id, topic_id)
    WHERE status <> 'revoked';
