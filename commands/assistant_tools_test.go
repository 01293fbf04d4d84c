package commands

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// toolTestNow is a Tuesday afternoon in UTC.
var toolTestNow = time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)

func toolTestEnv(db *bun.DB) toolEnv {
	deps := &Deps{
		DB:     db,
		Zone:   time.UTC,
		Now:    func() time.Time { return toolTestNow },
		Logger: slog.New(slog.DiscardHandler),
	}
	return toolEnv{deps: deps, caller: metering.Caller{DiscordUserID: "333", Username: "alice", GuildID: "555"}}
}

// decodeOutput decodes a function output as a JSON object.
func decodeOutput(t *testing.T, output string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(output), &v); err != nil {
		t.Fatalf("output %q is not a JSON object: %v", output, err)
	}
	return v
}

func TestRunToolCallsOutputs(t *testing.T) {
	env := toolTestEnv(nil)
	enabled := enabledTools("current_time,usage_summary")
	tests := []struct {
		name string
		call openaiclient.FunctionCall
		want map[string]any
	}{
		{
			name: "time in the bot's zone",
			call: openaiclient.FunctionCall{Name: "current_time", Arguments: `{"timezone":""}`},
			want: map[string]any{"time": "2026-12-01T15:04:05Z", "timezone": "UTC", "weekday": "Tuesday"},
		},
		{
			name: "time in another zone",
			call: openaiclient.FunctionCall{Name: "current_time", Arguments: `{"timezone":"Asia/Tokyo"}`},
			want: map[string]any{"time": "2026-12-02T00:04:05+09:00", "timezone": "Asia/Tokyo", "weekday": "Wednesday"},
		},
		{
			name: "unknown time zone",
			call: openaiclient.FunctionCall{Name: "current_time", Arguments: `{"timezone":"Mars/Olympus"}`},
			want: map[string]any{"error": `unknown time zone "Mars/Olympus": use an IANA name such as Europe/Paris`},
		},
		{
			name: "path in the time zone",
			call: openaiclient.FunctionCall{Name: "current_time", Arguments: `{"timezone":"../../etc/passwd"}`},
			want: map[string]any{"error": `unknown time zone "../../etc/passwd": use an IANA name such as Europe/Paris`},
		},
		{
			name: "invalid arguments",
			call: openaiclient.FunctionCall{Name: "current_time", Arguments: `{"timezone":`},
			want: map[string]any{"error": "invalid arguments: unexpected end of JSON input"},
		},
		{
			name: "unknown function",
			call: openaiclient.FunctionCall{Name: "read_everyones_usage", Arguments: `{}`},
			want: map[string]any{"error": `unknown function "read_everyones_usage"`},
		},
		{
			name: "invalid period",
			call: openaiclient.FunctionCall{Name: "usage_summary", Arguments: `{"period":"forever"}`},
			want: map[string]any{"error": `invalid period "forever": use today, 7d, 30d or month`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.call.CallID = "call_1"
			outputs := runToolCalls(context.Background(), env, enabled, []openaiclient.FunctionCall{tt.call})
			if len(outputs) != 1 {
				t.Fatalf("got %d outputs, want 1", len(outputs))
			}
			if outputs[0].CallID != "call_1" {
				t.Errorf("output call ID = %q, want call_1", outputs[0].CallID)
			}
			if diff := cmp.Diff(decodeOutput(t, outputs[0].Output), tt.want); diff != "" {
				t.Errorf("output (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRunToolCallsOnlyEnabledTools(t *testing.T) {
	env := toolTestEnv(nil)
	calls := []openaiclient.FunctionCall{
		{CallID: "call_a", Name: "usage_summary", Arguments: `{"period":"today"}`},
		{CallID: "call_b", Name: "current_time", Arguments: `{"timezone":"UTC"}`},
	}
	outputs := runToolCalls(context.Background(), env, enabledTools("current_time"), calls)
	if len(outputs) != 2 {
		t.Fatalf("got %d outputs, want one per call", len(outputs))
	}
	if outputs[0].CallID != "call_a" || outputs[1].CallID != "call_b" {
		t.Errorf("outputs are for %s and %s, want call_a then call_b", outputs[0].CallID, outputs[1].CallID)
	}
	if got := decodeOutput(t, outputs[0].Output)["error"]; got != `unknown function "usage_summary"` {
		t.Errorf("disabled tool output error = %v", got)
	}
	if got := decodeOutput(t, outputs[1].Output)["timezone"]; got != "UTC" {
		t.Errorf("enabled tool output timezone = %v, want UTC", got)
	}
}

func TestEnabledToolsAreStrict(t *testing.T) {
	tools := enabledTools(" current_time,unknown,usage_summary")
	var names []string
	for _, tool := range tools {
		names = append(names, tool.Name)
		if !tool.Strict {
			t.Errorf("tool %s is not strict", tool.Name)
		}
		var schema struct {
			Properties map[string]any `json:"properties"`
			Required   []string       `json:"required"`
		}
		if err := json.Unmarshal(tool.Parameters, &schema); err != nil {
			t.Fatalf("tool %s parameters: %v", tool.Name, err)
		}
		if len(schema.Required) != len(schema.Properties) {
			t.Errorf("tool %s requires %v of %d properties; strict mode needs all", tool.Name, schema.Required, len(schema.Properties))
		}
	}
	// " current_time" with a space is not a tool name.
	if diff := cmp.Diff(names, []string{"usage_summary"}); diff != "" {
		t.Errorf("enabled tools (-got +want):\n%s", diff)
	}
}

func TestUsageSummaryOwnFiguresOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		alice, err := models.UpsertUser(ctx, db, "333", "alice", toolTestNow)
		if err != nil {
			t.Fatal(err)
		}
		bob, err := models.UpsertUser(ctx, db, "444", "bob", toolTestNow)
		if err != nil {
			t.Fatal(err)
		}
		add := func(guildID, endpoint string, userID int64, day string, requests int64, cost models.MicroUSD) {
			t.Helper()
			if err := models.AddUsage(ctx, db, guildID, endpoint, userID, day, requests, cost); err != nil {
				t.Fatal(err)
			}
		}
		add("555", models.EndpointAssistantRun, alice.ID, "2026-12-01", 2, 1200)
		add("555", models.EndpointImagesGenerate, alice.ID, "2026-12-01", 1, 40000)
		add("555", models.EndpointAssistantRun, alice.ID, "2026-11-28", 5, 500)
		add("555", models.EndpointAssistantRun, alice.ID, "2026-10-01", 9, 9000)
		add("555", models.EndpointAssistantRun, bob.ID, "2026-12-01", 7, 777777)
		add("556", models.EndpointAssistantRun, alice.ID, "2026-12-01", 3, 3333)

		env := toolTestEnv(db)
		env.allowance = metering.Allowance{HasRequestLimit: true, RequestsLeft: 4, RequestPeriod: models.PeriodDay}
		tests := []struct {
			period       string
			wantRequests int64
			wantCost     string
		}{
			{period: "today", wantRequests: 3, wantCost: "$0.0412"},
			{period: "7d", wantRequests: 8, wantCost: "$0.0417"},
			{period: "month", wantRequests: 3, wantCost: "$0.0412"},
			{period: "30d", wantRequests: 8, wantCost: "$0.0417"},
		}
		for _, tt := range tests {
			t.Run(tt.period, func(t *testing.T) {
				value, err := usageSummary(ctx, env, `{"period":"`+tt.period+`"}`)
				if err != nil {
					t.Fatalf("usageSummary: %v", err)
				}
				report := value.(toolUsageReport)
				if report.Requests != tt.wantRequests {
					t.Errorf("requests = %d, want %d", report.Requests, tt.wantRequests)
				}
				if report.CostUSD != tt.wantCost {
					t.Errorf("cost = %s, want %s", report.CostUSD, tt.wantCost)
				}
				if report.RequestsLeft == nil || *report.RequestsLeft != 4 {
					t.Errorf("requests left = %v, want 4", report.RequestsLeft)
				}
			})
		}

		// A member with no usage yet gets zeros, not an error.
		env.caller.DiscordUserID = "999"
		value, err := usageSummary(ctx, env, `{"period":"today"}`)
		if err != nil {
			t.Fatalf("usageSummary for a new member: %v", err)
		}
		if report := value.(toolUsageReport); report.Requests != 0 || report.CostUSD != "$0.00" {
			t.Errorf("new member report = %+v, want zero", report)
		}
	})
}
