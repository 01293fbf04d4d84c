-- One metered call as pgbench runs it: the statements metering.Meter sends
-- for one admission (Admit) and one settlement (Settle) of an /imagine
-- request, in the same order, as the same two transactions. One pgbench
-- transaction of this script is therefore one metered call (two commits).
--
-- Run with -M simple: bun formats arguments into the statement text and
-- pgdriver sends it with the simple query protocol, one round trip per
-- statement, which is also what pgbench's simple mode does.
--
-- Variables, set by bench/run.sh with -D:
--   run      prefix of member and interaction IDs, new for every run
--   guilds   servers the members are spread over (member k in k mod guilds)
--   day      today's date in UTC, YYYY-MM-DD
--   daystart today's midnight in UTC
-- Client c is member c, so no two clients share a member, as in
-- loadmeter's closed mode with -members equal to -callers. Where the Go
-- code sends the current time as a literal, this script calls now().
-- The statements are in the shape internal/loadmeter's tests compare with
-- what the meter sends; a change to the meter's SQL fails those tests.

\set guild 900000000000000000 + :client_id % :guilds
\set seq random(1, 999999999999)

-- Admit: metering.Meter.Admit, one transaction.
BEGIN;
-- models.UpsertUser: inserts or updates the member and locks the row.
INSERT INTO usernames_table (discord_user_id, username, date_created, date_updated)
		VALUES ('bench-:run-:client_id', 'bench member', now(), now())
		ON CONFLICT (discord_user_id) DO UPDATE
		SET username = EXCLUDED.username, date_updated = EXCLUDED.date_updated
		RETURNING id, discord_user_id, username, date_created, date_updated \gset user_
-- findEntry: is this interaction and step already in the ledger?
SELECT "ledger_entry"."id", "ledger_entry"."interaction_id", "ledger_entry"."step", "ledger_entry"."user_id", "ledger_entry"."guild_id", "ledger_entry"."channel_id", "ledger_entry"."endpoint", "ledger_entry"."model", "ledger_entry"."size", "ledger_entry"."quality", "ledger_entry"."status", "ledger_entry"."day", "ledger_entry"."created_at", "ledger_entry"."settled_at", "ledger_entry"."units", "ledger_entry"."text_input_tokens", "ledger_entry"."cached_input_tokens", "ledger_entry"."image_input_tokens", "ledger_entry"."cached_image_input_tokens", "ledger_entry"."text_output_tokens", "ledger_entry"."image_output_tokens", "ledger_entry"."price_id", "ledger_entry"."estimate_micro_usd", "ledger_entry"."cost_micro_usd", "ledger_entry"."openai_request_id", "ledger_entry"."latency_ms", "ledger_entry"."attempts", "ledger_entry"."failure", "ledger_entry"."prompt" FROM "usage_ledger_table" AS "ledger_entry" WHERE (interaction_id = ':run-:client_id-:seq') AND (step = 0);
-- models.FindActiveBlacklist.
SELECT "blacklist_entry"."id", "blacklist_entry"."user_id", "blacklist_entry"."guild_id", "blacklist_entry"."date", "blacklist_entry"."reason", "blacklist_entry"."blacklisted_by", "blacklist_entry"."blacklisted_until", "blacklist_entry"."lifted_at", "blacklist_entry"."lifted_by" FROM "blacklisted_user_table" AS "blacklist_entry" WHERE (user_id = :user_id) AND (guild_id IN (':guild', '')) AND (lifted_at IS NULL) AND (date <= now()) AND ((blacklisted_until IS NULL OR blacklisted_until > now())) ORDER BY CASE WHEN guild_id = '' THEN 0 ELSE 1 END, blacklisted_until IS NULL DESC, blacklisted_until DESC LIMIT 1;
-- applicableLimits: the rate limits that apply.
SELECT "rate_limit"."id", "rate_limit"."user_id", "rate_limit"."guild_id", "rate_limit"."date", "rate_limit"."reason", "rate_limit"."rate_limited_by", "rate_limit"."rate_limited_until", "rate_limit"."rate_limit", "rate_limit"."period", "rate_limit"."lifted_at", "rate_limit"."lifted_by" FROM "rate_limited_user_table" AS "rate_limit" WHERE (guild_id IN (':guild', '')) AND ((user_id = :user_id OR user_id IS NULL)) AND (lifted_at IS NULL) AND (date <= now()) AND ((rate_limited_until IS NULL OR rate_limited_until > now())) ORDER BY "date" DESC;
-- check: the member's requests today, against the configured daily limit.
SELECT count(*) FROM "usage_ledger_table" AS "ledger_entry" WHERE (user_id = :user_id) AND (step = 0) AND (status IN ('pending', 'settled', 'uncertain')) AND (created_at >= ':daystart') AND (guild_id = ':guild');
-- models.FindPrice.
SELECT "price"."id", "price"."endpoint", "price"."model", "price"."size", "price"."quality", "price"."date", "price"."per_request_micro_usd", "price"."per_image_micro_usd", "price"."text_input_micro_usd_per_mtok", "price"."cached_input_micro_usd_per_mtok", "price"."image_input_micro_usd_per_mtok", "price"."cached_image_input_micro_usd_per_mtok", "price"."text_output_micro_usd_per_mtok", "price"."image_output_micro_usd_per_mtok", "price"."note" FROM "cost_table" AS "price" WHERE (endpoint = (SELECT id FROM endpoint_table WHERE endpoint_name = 'openai_images_generate')) AND (model IN ('gpt-image-2', '')) AND (size IN ('1024x1024', '')) AND (quality IN ('medium', '')) AND (date <= now()) ORDER BY CASE WHEN model = '' THEN 1 ELSE 0 END, CASE WHEN size = '' THEN 1 ELSE 0 END, CASE WHEN quality = '' THEN 1 ELSE 0 END, date DESC LIMIT 1 \gset price_
-- models.FindBudgets: the budgets that apply.
SELECT "budget"."id", "budget"."scope", "budget"."guild_id", "budget"."user_id", "budget"."period", "budget"."amount_micro_usd", "budget"."set_by", "budget"."date", "budget"."cleared_at" FROM "budget_table" AS "budget" WHERE (cleared_at IS NULL) AND (date <= now()) AND ((scope = 'member' AND guild_id = ':guild' AND user_id = :user_id) OR (scope = 'server' AND guild_id = ':guild') OR (scope = 'global')) ORDER BY "date" DESC;
-- spent: today's settled cost and pending estimates, against the
-- configured daily member budget.
SELECT (SELECT COALESCE(SUM(cost_micro_usd), 0) FROM endpoint_user_usage_table WHERE user_id = :user_id AND guild_id = ':guild' AND date >= ':day') + (SELECT COALESCE(SUM(estimate_micro_usd), 0) FROM usage_ledger_table WHERE status = 'pending' AND user_id = :user_id AND guild_id = ':guild' AND created_at >= ':daystart');
-- The pending ledger row with the estimate.
INSERT INTO "usage_ledger_table" AS "ledger_entry" ("id", "interaction_id", "step", "user_id", "guild_id", "channel_id", "endpoint", "model", "size", "quality", "status", "day", "created_at", "settled_at", "units", "text_input_tokens", "cached_input_tokens", "image_input_tokens", "cached_image_input_tokens", "text_output_tokens", "image_output_tokens", "price_id", "estimate_micro_usd", "cost_micro_usd", "openai_request_id", "latency_ms", "attempts", "failure", "prompt") VALUES (DEFAULT, ':run-:client_id-:seq', 0, :user_id, ':guild', '800000000000000000', 'openai_images_generate', 'gpt-image-2', '1024x1024', 'medium', 'pending', ':day', now(), NULL, 1, 0, 0, 0, 0, 0, 0, :price_id, 31740, 0, '', 0, 0, '', 'a lighthouse on a cliff at dusk, in watercolour') ON CONFLICT (interaction_id, step) DO NOTHING RETURNING "id" \gset ledger_
COMMIT;

-- Settle: metering.Meter.Settle, one statement (models.CloseLedgerEntryPG):
-- close the row if it is still pending and add it to the server's and the
-- member's daily roll-ups.
WITH closed AS (
			UPDATE usage_ledger_table SET
				status = 'settled', cost_micro_usd = 31740, units = 1,
				text_input_tokens = 12, cached_input_tokens = 0, image_input_tokens = 0,
				cached_image_input_tokens = 0, text_output_tokens = 0, image_output_tokens = 1056,
				openai_request_id = 'req_bench', latency_ms = 8000, attempts = 1, failure = '', settled_at = now()
			WHERE id = :ledger_id AND status = 'pending'
			RETURNING guild_id, endpoint, user_id, day, cost_micro_usd
		), server AS (
			INSERT INTO endpoint_usage_table (guild_id, endpoint, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, day, 1, cost_micro_usd FROM closed WHERE 1 > 0
		ON CONFLICT (guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd
		), member AS (
			INSERT INTO endpoint_user_usage_table (guild_id, endpoint, user_id, date, usage, cost_micro_usd)
			SELECT guild_id, endpoint, user_id, day, 1, cost_micro_usd FROM closed WHERE 1 > 0
		ON CONFLICT (user_id, guild_id, endpoint, date) DO UPDATE
		SET usage = endpoint_user_usage_table.usage + EXCLUDED.usage,
		    cost_micro_usd = endpoint_user_usage_table.cost_micro_usd + EXCLUDED.cost_micro_usd
		)
		SELECT COUNT(*) FROM closed;
