package commands

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tallybot/tally/metering"
	"github.com/tallybot/tally/models"
	"github.com/tallybot/tally/openaiclient"
)

// toolTimeout bounds one function tool; the tools only read the clock and
// the database.
const toolTimeout = 5 * time.Second

// assistantTool is a function the bot runs itself when the model calls it.
// Run returns a value encoded as the JSON output, or an error, which
// becomes an error output so that the model always gets an answer.
type assistantTool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of the arguments. Strict mode requires
	// every property to be listed as required and no others allowed.
	Parameters string
	Run        func(ctx context.Context, env toolEnv, arguments string) (any, error)
}

// toolError is a tool failure whose message the model may read, such as
// invalid arguments. Other errors reach the model only as a generic text,
// because they may carry database details.
type toolError struct {
	message string
}

func (e *toolError) Error() string { return e.message }

func toolErrorf(format string, args ...any) error {
	return &toolError{message: fmt.Sprintf(format, args...)}
}

// toolEnv is the data a tool may read: the caller's identity and
// allowance, and the bot's database and clock. Tools see the caller's own
// figures only.
type toolEnv struct {
	deps      *Deps
	caller    metering.Caller
	allowance metering.Allowance
}

// assistantTools returns the tools every assistant may use.
func assistantTools() []assistantTool {
	return []assistantTool{
		{
			Name:        "current_time",
			Description: "Returns the current date and time in a time zone.",
			Parameters: `{"type":"object","properties":{"timezone":{"type":"string",` +
				`"description":"IANA time zone name such as Europe/Paris, or an empty string for the bot's own zone"}},` +
				`"required":["timezone"],"additionalProperties":false}`,
			Run: currentTime,
		},
		{
			Name: "usage_summary",
			Description: "Returns the requests and the cost in USD that the member talking to you has spent through Tally " +
				"in this server over a period, and what remains of their limits.",
			Parameters: `{"type":"object","properties":{"period":{"type":"string","enum":["today","7d","30d","month"],` +
				`"description":"today, the last 7 or 30 days including today, or the calendar month so far"}},` +
				`"required":["period"],"additionalProperties":false}`,
			Run: usageSummary,
		},
	}
}

// assistantToolNames returns the names of assistantTools, stored on new
// assistants.
func assistantToolNames() []string {
	var names []string
	for _, tool := range assistantTools() {
		names = append(names, tool.Name)
	}
	return names
}

// enabledTools returns the tools named in an assistant's comma-separated
// list, as OpenAI function tools.
func enabledTools(list string) []openaiclient.FunctionTool {
	names := strings.Split(list, ",")
	var out []openaiclient.FunctionTool
	for _, tool := range assistantTools() {
		if !slices.Contains(names, tool.Name) {
			continue
		}
		out = append(out, openaiclient.FunctionTool{
			Name:        tool.Name,
			Description: tool.Description,
			Parameters:  json.RawMessage(tool.Parameters),
			Strict:      true,
		})
	}
	return out
}

// runToolCalls runs the model's function calls one after another and
// returns one output per call, in order. A call that fails (an unknown or
// disabled function, invalid arguments, a tool error, a timeout or a panic)
// gets {"error": "..."} as its output, and the failure is logged.
func runToolCalls(ctx context.Context, env toolEnv, enabled []openaiclient.FunctionTool, calls []openaiclient.FunctionCall) []openaiclient.FunctionOutput {
	outputs := make([]openaiclient.FunctionOutput, 0, len(calls))
	for _, c := range calls {
		value, err := runToolCall(ctx, env, enabled, c)
		var output []byte
		if err == nil {
			output, err = json.Marshal(value)
		}
		if err != nil {
			env.deps.Logger.Warn("assistant tool failed", slog.String("command", "assistant"),
				slog.String("user_id", env.caller.DiscordUserID), slog.String("guild_id", env.caller.GuildID),
				slog.String("tool", c.Name), slog.String("call_id", c.CallID), slog.Any("error", err))
			message := "the function failed inside Tally"
			var forModel *toolError
			if errors.As(err, &forModel) {
				message = forModel.message
			}
			output, _ = json.Marshal(map[string]string{"error": message})
		}
		outputs = append(outputs, openaiclient.FunctionOutput{CallID: c.CallID, Output: string(output)})
	}
	return outputs
}

func runToolCall(ctx context.Context, env toolEnv, enabled []openaiclient.FunctionTool, c openaiclient.FunctionCall) (value any, err error) {
	allowed := slices.ContainsFunc(enabled, func(t openaiclient.FunctionTool) bool { return t.Name == c.Name })
	index := slices.IndexFunc(assistantTools(), func(t assistantTool) bool { return t.Name == c.Name })
	if !allowed || index < 0 {
		return nil, toolErrorf("unknown function %q", c.Name)
	}

	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			value, err = nil, fmt.Errorf("function %s panicked: %v", c.Name, p)
		}
	}()
	return assistantTools()[index].Run(ctx, env, c.Arguments)
}

// toolTimeReport is the output of current_time.
type toolTimeReport struct {
	Time     string `json:"time"`
	TimeZone string `json:"timezone"`
	Weekday  string `json:"weekday"`
}

func currentTime(_ context.Context, env toolEnv, arguments string) (any, error) {
	var args struct {
		TimeZone string `json:"timezone"`
	}
	if err := json.Unmarshal([]byte(arguments), &args); err != nil {
		return nil, toolErrorf("invalid arguments: %v", err)
	}
	zone := env.deps.Zone
	if args.TimeZone != "" {
		var err error
		if zone, err = time.LoadLocation(args.TimeZone); err != nil {
			return nil, toolErrorf("unknown time zone %q: use an IANA name such as Europe/Paris", args.TimeZone)
		}
	}
	if zone == nil {
		zone = time.UTC
	}
	now := env.deps.Now().In(zone)
	return toolTimeReport{Time: now.Format(time.RFC3339), TimeZone: zone.String(), Weekday: now.Weekday().String()}, nil
}

// toolUsageReport is the output of usage_summary. Amounts are strings in
// dollars, because money is never a float in Tally.
type toolUsageReport struct {
	Period       string          `json:"period"`
	Since        string          `json:"since"`
	Where        string          `json:"where"`
	Requests     int64           `json:"requests"`
	CostUSD      string          `json:"cost_usd"`
	ByEndpoint   []toolUsageLine `json:"by_endpoint"`
	RequestsLeft *int            `json:"requests_left,omitempty"`
	BudgetLeft   string          `json:"budget_left_usd,omitempty"`
	Note         string          `json:"note"`
}

type toolUsageLine struct {
	Endpoint string `json:"endpoint"`
	Requests int64  `json:"requests"`
	CostUSD  string `json:"cost_usd"`
}

func usageSummary(ctx context.Context, env toolEnv, arguments string) (any, error) {
	var args struct {
		Period string `json:"period"`
	}
	if err := json.Unmarshal([]byte(arguments), &args); err != nil {
		return nil, toolErrorf("invalid arguments: %v", err)
	}
	zone := env.deps.Zone
	if zone == nil {
		zone = time.UTC
	}
	now := env.deps.Now()
	since, err := toolPeriodStart(args.Period, now, zone)
	if err != nil {
		return nil, err
	}

	report := toolUsageReport{
		Period: args.Period,
		Since:  since,
		Where:  "this server",
		Note:   "Figures are settled requests, so they leave out the message being answered now.",
	}
	if env.caller.GuildID == models.DMGuildID {
		report.Where = "direct messages with the bot"
	}
	rows, err := callerUsageByEndpoint(ctx, env.deps, env.caller, since)
	if err != nil {
		return nil, err
	}
	var total models.MicroUSD
	for _, row := range rows {
		report.Requests += row.Requests
		total += row.Cost
		report.ByEndpoint = append(report.ByEndpoint, toolUsageLine{Endpoint: row.Endpoint, Requests: row.Requests, CostUSD: row.Cost.String()})
	}
	report.CostUSD = total.String()
	if env.allowance.HasRequestLimit {
		left := max(env.allowance.RequestsLeft, 0)
		report.RequestsLeft = &left
	}
	if env.allowance.HasBudget {
		report.BudgetLeft = max(env.allowance.BudgetLeft, 0).String()
	}
	return report, nil
}

// toolPeriodStart returns the first day of a usage_summary period, as
// YYYY-MM-DD in zone.
func toolPeriodStart(period string, now time.Time, zone *time.Location) (string, error) {
	switch period {
	case "today":
		return metering.Day(now, zone), nil
	case "7d":
		return metering.Day(now.In(zone).AddDate(0, 0, -6), zone), nil
	case "30d":
		return metering.Day(now.In(zone).AddDate(0, 0, -29), zone), nil
	case "month":
		return metering.Day(metering.WindowStart(now, models.PeriodMonth, zone), zone), nil
	}
	return "", toolErrorf("invalid period %q: use today, 7d, 30d or month", period)
}

// callerEndpointUsage is one endpoint's requests and cost over a period.
type callerEndpointUsage struct {
	Endpoint string          `bun:"endpoint"`
	Requests int64           `bun:"requests"`
	Cost     models.MicroUSD `bun:"cost"`
}

// callerUsageByEndpoint sums the caller's daily roll-ups in the caller's
// server from the day since on, by endpoint. It reads only rows of the
// caller's own user ID, whatever arguments the model sends. It returns no
// rows for a member Tally has never seen.
func callerUsageByEndpoint(ctx context.Context, deps *Deps, caller metering.Caller, since string) ([]callerEndpointUsage, error) {
	user, err := models.FindUserByDiscordID(ctx, deps.DB, caller.DiscordUserID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rows []callerEndpointUsage
	err = deps.DB.NewSelect().Model((*models.EndpointUserUsage)(nil)).
		ColumnExpr("endpoint").
		ColumnExpr("SUM(usage) AS requests").
		ColumnExpr("SUM(cost_micro_usd) AS cost").
		Where("user_id = ?", user.ID).
		Where("guild_id = ?", caller.GuildID).
		Where("date >= ?", since).
		Group("endpoint").
		Order("endpoint").
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("sum usage of user %s: %w", caller.DiscordUserID, err)
	}
	return rows, nil
}
