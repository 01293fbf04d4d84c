package main

import "testing"

func TestNormalizeStatement(t *testing.T) {
	tests := []struct {
		name      string
		statement string
		want      string
	}{
		{
			name:      "string and number literals",
			statement: `SELECT count(*) FROM "t" WHERE (user_id = 42) AND (guild_id = '900')`,
			want:      `SELECT count(*) FROM "t" WHERE (user_id = ?) AND (guild_id = ?)`,
		},
		{
			name:      "pgbench variables inside and outside quotes",
			statement: `SELECT count(*) FROM "t" WHERE (user_id = :user_id) AND (guild_id = ':guild')`,
			want:      `SELECT count(*) FROM "t" WHERE (user_id = ?) AND (guild_id = ?)`,
		},
		{
			name:      "escaped quote stays inside the literal",
			statement: `INSERT INTO t (name) VALUES ('it''s')`,
			want:      `INSERT INTO t (name) VALUES (?)`,
		},
		{
			name:      "now() is a value",
			statement: `SELECT 1 WHERE date <= now()`,
			want:      `SELECT ? WHERE date <= ?`,
		},
		{
			name:      "whitespace collapsed and semicolon dropped",
			statement: "\n\t\tBEGIN ;\n",
			want:      "BEGIN",
		},
		{
			name:      "digits inside names are kept",
			statement: `SELECT v2 FROM t1`,
			want:      `SELECT v2 FROM t1`,
		},
		{
			name:      "timestamp literal",
			statement: `WHERE created_at >= '2026-12-04 00:00:00+00:00'`,
			want:      `WHERE created_at >= ?`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeStatement(tt.statement); got != tt.want {
				t.Errorf("normalizeStatement(%q)\n got %q\nwant %q", tt.statement, got, tt.want)
			}
		})
	}
}
