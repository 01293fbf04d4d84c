-- The function calls of a conversation that the bot has not answered yet,
-- as a JSON array of call IDs ('' when there are none). A run can end with
-- calls unanswered: the tool round limit was reached, or the request that
-- carried the outputs failed. OpenAI rejects every later request in the
-- conversation until each of those calls has an output, so the next run
-- sends one for each call listed here.
ALTER TABLE thread_table ADD COLUMN pending_call_ids TEXT NOT NULL DEFAULT '';
