ALTER TABLE thread_table DROP COLUMN pending_call_ids;
