package main

import (
	"io"
	"strings"
	"testing"

	"github.com/tallybot/tally/models"
)

func TestParseFlagsRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no database", args: []string{"-database-url", ""}, want: "no database"},
		{name: "unknown mode", args: []string{"-mode", "soak"}, want: `invalid -mode "soak"`},
		{name: "members not a multiple of callers", args: []string{"-callers", "64", "-members", "100"}, want: "invalid -members 100"},
		{name: "zero callers", args: []string{"-callers", "0"}, want: "invalid -callers 0"},
		{name: "zero guilds", args: []string{"-guilds", "0"}, want: "invalid -guilds 0"},
		{name: "negative rate", args: []string{"-rate", "-5"}, want: "invalid -rate -5"},
		{name: "zero duration", args: []string{"-duration", "0s"}, want: "invalid -duration 0s"},
		{name: "budget not in dollars", args: []string{"-daily-budget-usd", "ten"}, want: `invalid -daily-budget-usd "ten"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-database-url", "bench.db"}, tt.args...)
			_, err := parseFlags(args, io.Discard)
			if err == nil {
				t.Fatalf("parseFlags(%q) succeeded, want an error containing %q", args, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseFlags(%q) error = %q, want it to contain %q", args, err, tt.want)
			}
		})
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags([]string{"-database-url", "bench.db", "-mode", "open"}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if o.workload.DailyBudget != 1_000_000*models.MicroUSD(1_000_000) {
		t.Errorf("daily budget = %s USD, want 1000000", o.workload.DailyBudget)
	}
	if o.workload.GlobalMonthlyBudget != 0 {
		t.Errorf("global monthly budget = %s USD, want none", o.workload.GlobalMonthlyBudget)
	}
	if !strings.HasPrefix(o.workload.Run, "open") {
		t.Errorf("run = %q, want it to start with the mode", o.workload.Run)
	}
}
