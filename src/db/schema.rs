// @generated automatically by Diesel CLI.
// One schema for both backends; tests/schema.rs checks it against the migrated databases.

diesel::table! {
    api_keys (id) {
        id -> Integer,
        name -> Text,
        role -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        rate_per_sec -> Nullable<Integer>,
        rate_burst -> Nullable<Integer>,
        global_per_minute -> Nullable<Integer>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::instant::Instant;

    endorsements (id) {
        id -> BigInt,
        endorser_id -> Integer,
        endorsee_id -> Integer,
        topic_id -> Integer,
        note -> Nullable<Text>,
        status -> Text,
        created_at -> Instant,
        revoked_at -> Nullable<Instant>,
        created_by -> Nullable<Integer>,
        origin_topic_id -> Nullable<Integer>,
        entry_hash -> Nullable<Binary>,
        entry_at -> Nullable<Instant>,
    }
}

diesel::table! {
    flags (id) {
        id -> BigInt,
        endorsement_id -> BigInt,
        reason -> Text,
        score -> Double,
        evidence -> Text,
        status -> Text,
        created_at -> Timestamp,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Integer>,
        entry_hash -> Nullable<Binary>,
        entry_status -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idem_key) {
        api_key_id -> Integer,
        idem_key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::instant::Instant;

    ledger (seq) {
        seq -> BigInt,
        kind -> Text,
        at -> Instant,
        payload -> Nullable<Text>,
        hash -> Binary,
    }
}

diesel::table! {
    key_usage (key_id, minute) {
        key_id -> Integer,
        minute -> BigInt,
        used -> Integer,
    }
}

diesel::table! {
    recompute_claims (topic_id) {
        topic_id -> Integer,
        claimed_by -> Text,
        until_micros -> BigInt,
    }
}

diesel::table! {
    reputation_runs (id) {
        id -> Integer,
        topic_id -> Integer,
        computed_at -> Timestamp,
        users -> Integer,
        endorsements -> BigInt,
        iterations -> Integer,
        params -> Text,
        is_current -> Bool,
        is_snapshot -> Bool,
    }
}

diesel::table! {
    reputation_parts (run_id, by_rank, first_rank, first_user) {
        run_id -> Integer,
        by_rank -> Bool,
        first_rank -> Integer,
        first_user -> Integer,
        entries -> Text,
    }
}

diesel::table! {
    solicitations (id) {
        id -> BigInt,
        requester_id -> Integer,
        target_id -> Nullable<Integer>,
        topic_id -> Nullable<Integer>,
        text -> Text,
        channel -> Nullable<Text>,
        observed_at -> Timestamp,
        begging -> Bool,
        score -> Double,
        cues -> Text,
        language -> Text,
        ledger_seq -> BigInt,
        created_by -> Nullable<Integer>,
    }
}

diesel::table! {
    topic_seeds (topic_id, user_id) {
        topic_id -> Integer,
        user_id -> Integer,
    }
}

diesel::table! {
    topics (id) {
        id -> Integer,
        slug -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Integer>,
        merged_into -> Nullable<Integer>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        handle -> Text,
        created_at -> Timestamp,
        received_changes -> BigInt,
    }
}

diesel::joinable!(endorsements -> api_keys (created_by));
diesel::joinable!(endorsements -> topics (topic_id));
diesel::joinable!(topics -> api_keys (created_by));
diesel::joinable!(flags -> api_keys (reviewed_by));
diesel::joinable!(flags -> endorsements (endorsement_id));
diesel::joinable!(idempotency_keys -> api_keys (api_key_id));
diesel::joinable!(key_usage -> api_keys (key_id));
diesel::joinable!(recompute_claims -> topics (topic_id));
diesel::joinable!(reputation_runs -> topics (topic_id));
diesel::joinable!(reputation_parts -> reputation_runs (run_id));
diesel::joinable!(solicitations -> api_keys (created_by));
diesel::joinable!(solicitations -> ledger (ledger_seq));
diesel::joinable!(solicitations -> topics (topic_id));
diesel::joinable!(topic_seeds -> topics (topic_id));
diesel::joinable!(topic_seeds -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    endorsements,
    flags,
    idempotency_keys,
    ledger,
    key_usage,
    recompute_claims,
    reputation_parts,
    reputation_runs,
    solicitations,
    topic_seeds,
    topics,
    users,
);
