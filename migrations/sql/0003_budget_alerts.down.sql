DROP TABLE budget_alert_table;
