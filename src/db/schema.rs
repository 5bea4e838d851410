//! Diesel table definitions, written by hand with portable SQL types only so that one schema
//! serves SQLite and PostgreSQL through `MultiConnection`. Keep in step with `migrations/`.

diesel::table! {
    instance_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_platform_admin -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        preferences -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        started_at -> Nullable<BigInt>,
        client -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}

diesel::table! {
    denied_access_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    invites (email) {
        email -> Text,
        invited_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        plan -> Text,
        created_by -> Text,
        settings -> Text,
        suspended_at -> Nullable<BigInt>,
        suspended_reason -> Nullable<Text>,
        kill_switch_engaged -> Bool,
        kill_switch_reason -> Nullable<Text>,
        kill_switch_changed_at -> Nullable<BigInt>,
        kill_switch_changed_by -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    members (workspace_id, user_id) {
        workspace_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        scopes -> Text,
        created_by -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    livestreams (id) {
        id -> Text,
        workspace_id -> Text,
        source -> Text,
        unique_id -> Text,
        name -> Text,
        auto_reconnect -> Bool,
        desired_connected -> Bool,
        status -> Text,
        room_id -> Nullable<Text>,
        last_error -> Nullable<Text>,
        stats -> Text,
        connected_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        lease_fence -> BigInt,
        room_id_override -> Nullable<Text>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        transport -> Text,
        allowed_commands -> Text,
        max_duration_ms -> BigInt,
        max_commands_per_minute -> Integer,
        last_seen_at -> Nullable<BigInt>,
        agent_version -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        agent_platform -> Nullable<Text>,
        agent_update -> Nullable<Text>,
        concurrency -> Text,
        max_queue -> Integer,
        fair_share_pct -> Integer,
    }
}

diesel::table! {
    agent_tokens (id) {
        id -> Text,
        device_id -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    rules (id) {
        id -> Text,
        workspace_id -> Text,
        livestream_id -> Nullable<Text>,
        name -> Text,
        enabled -> Bool,
        priority -> Integer,
        when_json -> Text,
        then_json -> Text,
        cooldown_ms -> BigInt,
        per_user_cooldown_ms -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        options_json -> Text,
    }
}

diesel::table! {
    rule_counters (rule_id, scope) {
        rule_id -> Text,
        scope -> Text,
        value -> BigInt,
        armed -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    commands (id) {
        id -> Text,
        workspace_id -> Text,
        device_id -> Text,
        rule_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        cmd -> Text,
        duration_ms -> BigInt,
        params -> Text,
        status -> Text,
        detail -> Nullable<Text>,
        event_at -> Nullable<BigInt>,
        issued_at -> BigInt,
        expires_at -> BigInt,
        acked_at -> Nullable<BigInt>,
        viewer -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        workspace_id -> Nullable<Text>,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        category -> Text,
        kind -> Text,
        target -> Nullable<Text>,
        details -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    mqtt_ca (id) {
        id -> Integer,
        cert_pem -> Text,
        key_pem -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(members -> workspaces (workspace_id));
diesel::joinable!(members -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(api_keys -> workspaces (workspace_id));
diesel::joinable!(agent_tokens -> devices (device_id));
diesel::joinable!(devices -> workspaces (workspace_id));
diesel::joinable!(livestreams -> workspaces (workspace_id));
diesel::joinable!(rules -> workspaces (workspace_id));

diesel::table! {
    gifts (gift_id) {
        gift_id -> BigInt,
        name -> Text,
        diamond_count -> BigInt,
        image_url -> Nullable<Text>,
        seen_at -> BigInt,
    }
}

diesel::table! {
    event_traces (event_id) {
        event_id -> Text,
        workspace_id -> Text,
        results -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    tiktok_credentials (workspace_id) {
        workspace_id -> Text,
        sign_api_key -> Nullable<Text>,
        session_id -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    agent_pairings (id) {
        id -> Text,
        code_hash -> Text,
        secret_hash -> Text,
        public_key -> Text,
        hostname -> Text,
        platform -> Text,
        agent_version -> Text,
        address -> Text,
        state -> Text,
        workspace_id -> Nullable<Text>,
        device_id -> Nullable<Text>,
        sealed_token -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    presets (id) {
        id -> Text,
        workspace_id -> Text,
        kind -> Text,
        name -> Text,
        config -> Text,
        rule_ids -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    overlay_tokens (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    users,
    refresh_tokens,
    denied_access_tokens,
    invites,
    workspaces,
    members,
    api_keys,
    livestreams,
    devices,
    agent_tokens,
    rules,
    rule_counters,
    commands,
    audit_log,
    mqtt_ca,
    tiktok_credentials,
    event_traces,
    agent_pairings,
    presets,
    overlay_tokens,
    gifts,
);
