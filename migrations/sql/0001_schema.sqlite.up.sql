-- The SQLite form of 0001_schema.pg.up.sql: the same tables, with INTEGER
-- PRIMARY KEY AUTOINCREMENT for identities and TEXT for times (always UTC,
-- written by Tally) and days (YYYY-MM-DD). Read the PostgreSQL file for why
-- each column differs from the original plan.

CREATE TABLE usernames_table (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    discord_user_id TEXT        NOT NULL UNIQUE,
    username        TEXT        NOT NULL,
    date_created    TEXT NOT NULL,
    date_updated    TEXT NOT NULL
);

CREATE TABLE endpoint_table (
    id            BIGINT PRIMARY KEY,
    endpoint_name TEXT NOT NULL UNIQUE
);

CREATE TABLE cost_table (
    id                              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint                        BIGINT      NOT NULL REFERENCES endpoint_table (id),
    model                           TEXT        NOT NULL,
    -- An empty size or quality matches any value.
    size                            TEXT        NOT NULL DEFAULT '',
    quality                         TEXT        NOT NULL DEFAULT '',
    -- The date the price takes effect.
    date                            TEXT NOT NULL,
    per_request_micro_usd           BIGINT      NOT NULL DEFAULT 0,
    per_image_micro_usd             BIGINT      NOT NULL DEFAULT 0,
    text_input_micro_usd_per_mtok   BIGINT      NOT NULL DEFAULT 0,
    cached_input_micro_usd_per_mtok BIGINT      NOT NULL DEFAULT 0,
    image_input_micro_usd_per_mtok  BIGINT      NOT NULL DEFAULT 0,
    cached_image_input_micro_usd_per_mtok BIGINT NOT NULL DEFAULT 0,
    text_output_micro_usd_per_mtok  BIGINT      NOT NULL DEFAULT 0,
    image_output_micro_usd_per_mtok BIGINT      NOT NULL DEFAULT 0,
    note                            TEXT        NOT NULL DEFAULT '',
    UNIQUE (endpoint, model, size, quality, date)
);

CREATE TABLE assistant_table (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    creator_id   BIGINT      NOT NULL REFERENCES usernames_table (id),
    -- The assistant lives in this table since OpenAI's Assistants API was
    -- switched off, so assistant_id is Tally's own public identifier.
    assistant_id TEXT        NOT NULL UNIQUE,
    guild_id     TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    instructions TEXT        NOT NULL,
    model        TEXT        NOT NULL,
    tools        TEXT        NOT NULL DEFAULT '',
    date_created TEXT NOT NULL,
    date_deleted TEXT,
    UNIQUE (guild_id, name)
);

CREATE TABLE thread_table (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The plan keyed the creator by username, which changes; this refers to
    -- the user's row instead.
    creator_id        BIGINT      NOT NULL REFERENCES usernames_table (id),
    -- The OpenAI conversation ID.
    thread_id         TEXT        NOT NULL UNIQUE,
    assistant         BIGINT      NOT NULL REFERENCES assistant_table (id),
    guild_id          TEXT        NOT NULL,
    discord_channel_id TEXT       NOT NULL UNIQUE,
    date_created      TEXT NOT NULL,
    -- Set while a run is going, so a second message waits or is refused.
    run_started_at    TEXT
);

CREATE TABLE endpoint_usage_table (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       TEXT   NOT NULL,
    endpoint       TEXT   NOT NULL REFERENCES endpoint_table (endpoint_name),
    date           TEXT   NOT NULL,
    usage          BIGINT NOT NULL DEFAULT 0,
    cost_micro_usd BIGINT NOT NULL DEFAULT 0,
    UNIQUE (guild_id, endpoint, date)
);

CREATE TABLE endpoint_user_usage_table (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       TEXT   NOT NULL,
    endpoint       TEXT   NOT NULL REFERENCES endpoint_table (endpoint_name),
    user_id        BIGINT NOT NULL REFERENCES usernames_table (id),
    date           TEXT   NOT NULL,
    usage          BIGINT NOT NULL DEFAULT 0,
    cost_micro_usd BIGINT NOT NULL DEFAULT 0,
    UNIQUE (user_id, guild_id, endpoint, date)
);
CREATE INDEX endpoint_user_usage_guild_date_idx ON endpoint_user_usage_table (guild_id, date);

-- guild_id is '' for an entry that applies in every server and in DMs.
CREATE TABLE blacklisted_user_table (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           BIGINT      NOT NULL REFERENCES usernames_table (id),
    guild_id          TEXT        NOT NULL,
    date              TEXT NOT NULL,
    reason            TEXT        NOT NULL,
    blacklisted_by    BIGINT      REFERENCES usernames_table (id),
    blacklisted_until TEXT,
    lifted_at         TEXT,
    lifted_by         BIGINT      REFERENCES usernames_table (id)
);
CREATE INDEX blacklisted_user_lookup_idx ON blacklisted_user_table (user_id, guild_id);

-- user_id is NULL for a server's default (or, with guild_id '', the global
-- default); period is hour, day or week.
CREATE TABLE rate_limited_user_table (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            BIGINT      REFERENCES usernames_table (id),
    guild_id           TEXT        NOT NULL,
    date               TEXT NOT NULL,
    reason             TEXT        NOT NULL,
    rate_limited_by    BIGINT      REFERENCES usernames_table (id),
    rate_limited_until TEXT,
    rate_limit         INTEGER     NOT NULL,
    period             TEXT        NOT NULL DEFAULT 'day',
    lifted_at          TEXT,
    lifted_by          BIGINT      REFERENCES usernames_table (id)
);
CREATE INDEX rate_limited_user_lookup_idx ON rate_limited_user_table (guild_id, user_id);

-- One row per OpenAI request: the account every total is built from.
CREATE TABLE usage_ledger_table (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    interaction_id      TEXT        NOT NULL,
    step                INTEGER     NOT NULL,
    user_id             BIGINT      NOT NULL REFERENCES usernames_table (id),
    guild_id            TEXT        NOT NULL,
    channel_id          TEXT        NOT NULL,
    endpoint            TEXT        NOT NULL REFERENCES endpoint_table (endpoint_name),
    model               TEXT        NOT NULL,
    size                TEXT        NOT NULL DEFAULT '',
    quality             TEXT        NOT NULL DEFAULT '',
    status              TEXT        NOT NULL,
    day                 TEXT        NOT NULL,
    created_at          TEXT NOT NULL,
    settled_at          TEXT,
    units               INTEGER     NOT NULL DEFAULT 0,
    text_input_tokens   BIGINT      NOT NULL DEFAULT 0,
    cached_input_tokens BIGINT      NOT NULL DEFAULT 0,
    image_input_tokens  BIGINT      NOT NULL DEFAULT 0,
    cached_image_input_tokens BIGINT NOT NULL DEFAULT 0,
    text_output_tokens  BIGINT      NOT NULL DEFAULT 0,
    image_output_tokens BIGINT      NOT NULL DEFAULT 0,
    price_id            BIGINT      REFERENCES cost_table (id),
    estimate_micro_usd  BIGINT      NOT NULL,
    cost_micro_usd      BIGINT      NOT NULL DEFAULT 0,
    openai_request_id   TEXT        NOT NULL DEFAULT '',
    latency_ms          INTEGER     NOT NULL DEFAULT 0,
    attempts            INTEGER     NOT NULL DEFAULT 0,
    failure             TEXT        NOT NULL DEFAULT '',
    prompt              TEXT,
    UNIQUE (interaction_id, step)
);
CREATE INDEX usage_ledger_user_idx ON usage_ledger_table (user_id, guild_id, created_at);
CREATE INDEX usage_ledger_guild_idx ON usage_ledger_table (guild_id, created_at);
CREATE INDEX usage_ledger_pending_idx ON usage_ledger_table (created_at) WHERE status = 'pending';

-- scope is member, server or global; period is day or month.
CREATE TABLE budget_table (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    scope            TEXT        NOT NULL,
    guild_id         TEXT        NOT NULL,
    user_id          BIGINT      REFERENCES usernames_table (id),
    period           TEXT        NOT NULL,
    amount_micro_usd BIGINT      NOT NULL,
    set_by           BIGINT      REFERENCES usernames_table (id),
    date             TEXT NOT NULL,
    cleared_at       TEXT
);
CREATE INDEX budget_lookup_idx ON budget_table (guild_id, user_id);

CREATE TABLE moderation_log_table (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       TEXT        NOT NULL,
    actor_id       BIGINT      REFERENCES usernames_table (id),
    target_user_id BIGINT      REFERENCES usernames_table (id),
    action         TEXT        NOT NULL,
    detail         TEXT        NOT NULL DEFAULT '',
    reason         TEXT        NOT NULL DEFAULT '',
    date           TEXT NOT NULL
);
CREATE INDEX moderation_log_guild_idx ON moderation_log_table (guild_id, date);
