-- The six endpoint keys of the original plan, spelled as the plan spells
-- them, with fixed IDs so that prices can refer to them.
INSERT INTO endpoint_table (id, endpoint_name) VALUES
    (1, 'openai_images_generate'),
    (2, 'openai_images_variation'),
    (3, 'openai_assistant_create'),
    (4, 'openai_assistant_submit_tool_run'),
    (5, 'openai_assistant_thread_create'),
    (6, 'openai_assistant_run');

-- gpt-image-2 per million tokens, from OpenAI's model page as quoted in 2026:
-- text input $5.00 (cached $1.25), image input $8.00 (cached $2.00), image
-- output $30.00. Dated from the release of the gpt-image-2-2026-04-21
-- snapshot. Image edits (/variation) are billed at the same token prices.
-- The quoted list gives no price for text output tokens, so they are
-- charged at zero until an operator sets one with tally prices set.
INSERT INTO cost_table (endpoint, model, size, quality, date,
    text_input_micro_usd_per_mtok, cached_input_micro_usd_per_mtok,
    image_input_micro_usd_per_mtok, cached_image_input_micro_usd_per_mtok,
    image_output_micro_usd_per_mtok, note) VALUES
    (1, 'gpt-image-2', '', '', '2026-04-21 00:00:00+00:00', 5000000, 1250000, 8000000, 2000000, 30000000, 'seed'),
    (2, 'gpt-image-2', '', '', '2026-04-21 00:00:00+00:00', 5000000, 1250000, 8000000, 2000000, 30000000, 'seed');

-- The default assistant model, gpt-5-mini, per million tokens as OpenAI
-- listed it from its release on 2025-08-07: input $0.25, cached input
-- $0.025, output $2.00. Creating a conversation and an assistant is free.
INSERT INTO cost_table (endpoint, model, size, quality, date,
    text_input_micro_usd_per_mtok, cached_input_micro_usd_per_mtok,
    text_output_micro_usd_per_mtok, note) VALUES
    (4, 'gpt-5-mini', '', '', '2025-08-07 00:00:00+00:00', 250000, 25000, 2000000, 'seed'),
    (6, 'gpt-5-mini', '', '', '2025-08-07 00:00:00+00:00', 250000, 25000, 2000000, 'seed'),
    (3, '', '', '', '2025-08-07 00:00:00+00:00', 0, 0, 0, 'free: the assistant is a database row'),
    (5, '', '', '', '2025-08-07 00:00:00+00:00', 0, 0, 0, 'free: creating a conversation is not billed');
