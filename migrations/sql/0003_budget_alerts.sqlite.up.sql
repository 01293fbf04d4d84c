-- One row per budget alert sent: a threshold crossed for one budget in one
-- period. The unique key makes each alert fire once per period, even with
-- several Tally processes.
CREATE TABLE budget_alert_table (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    budget_key   TEXT        NOT NULL,
    period_start TEXT        NOT NULL,
    threshold    INTEGER     NOT NULL,
    date         TEXT        NOT NULL,
    UNIQUE (budget_key, period_start, threshold)
);
