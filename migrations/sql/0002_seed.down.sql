DELETE FROM cost_table WHERE note LIKE 'seed%' OR note LIKE 'free:%';
DELETE FROM endpoint_table WHERE id BETWEEN 1 AND 6;
