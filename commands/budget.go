package commands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/uptrace/bun"

	"github.com/tallybot/tally/models"
)

var budgetPeriods = []string{string(models.PeriodDay), string(models.PeriodMonth)}

// Budget returns /budget set | clear | show. Moderators cap one member's
// spending in their server, server managers cap the whole server, and
// operators cap everything Tally spends.
func Budget(deps *Deps) *Command {
	return &Command{
		Definition: &discordgo.ApplicationCommand{
			Name:                     "budget",
			Description:              "Cap what members or the server may spend on OpenAI",
			DefaultMemberPermissions: defaultMemberPermissions("budget"),
			DMPermission:             &denyInDM,
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Set a member's budget, or the server's cap",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionString, Name: "amount", Description: "Most that may be spent per period, in USD, such as 2.50", Required: true, MaxLength: 20},
						{Type: discordgo.ApplicationCommandOptionString, Name: "per", Description: "The period the amount covers", Required: true, Choices: choices(budgetPeriods)},
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member (default: the whole server, managers only)"},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Cap everything Tally spends (operators only)"},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "clear", Description: "Remove a member's budget, or the server's cap",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member (default: the whole server, managers only)"},
						{Type: discordgo.ApplicationCommandOptionString, Name: "per", Description: "Only this period (default: every period)", Choices: choices(budgetPeriods)},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Remove the cap on everything Tally spends (operators only)"},
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionSubCommand, Name: "show", Description: "Show budgets and what was spent",
					Options: []*discordgo.ApplicationCommandOption{
						{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The member (default: the server's caps and every member budget)"},
						{Type: discordgo.ApplicationCommandOptionBoolean, Name: "global", Description: "Show the cap on everything Tally spends (operators only)"},
					},
				},
			},
		},
		Handle: func(ctx context.Context, call *Call) error {
			return budget(ctx, deps, call)
		},
	}
}

func budget(ctx context.Context, deps *Deps, call *Call) error {
	if err := requireServer(call, "budget"); err != nil {
		return err
	}
	if err := requireModerator(call, "budget"); err != nil {
		return err
	}
	sub, opts := moderationSubcommand(call.Interaction)
	switch sub {
	case "set":
		return budgetSet(ctx, deps, call, opts)
	case "clear":
		return budgetClear(ctx, deps, call, opts)
	case "show":
		return budgetShow(ctx, deps, call, opts)
	}
	return Userf("Choose a subcommand: `/budget set`, `/budget clear` or `/budget show`.")
}

// budgetTarget reads the member and global options, checks that the
// caller may act on that scope, and returns the target without its row
// ID, which the caller fills in.
func budgetTarget(call *Call, opts options, manage bool) (models.BudgetTarget, *discordgo.User, error) {
	member := opts.user(call.Interaction, "member")
	global := opts.boolean("global")
	switch {
	case global && member != nil:
		return models.BudgetTarget{}, nil, Userf("A global cap covers everyone, so it takes no member. Leave out `member`, or leave out `global` to act on the member in this server.")
	case global:
		if err := requireOperator(call); err != nil {
			return models.BudgetTarget{}, nil, err
		}
		return models.BudgetTarget{Scope: models.ScopeGlobal, GuildID: models.GlobalGuildID}, nil, nil
	case member == nil:
		if manage {
			if err := requireManager(call, "the server's spending cap"); err != nil {
				return models.BudgetTarget{}, nil, err
			}
		}
		return models.BudgetTarget{Scope: models.ScopeServer, GuildID: call.Caller.GuildID}, nil, nil
	}
	if err := checkTarget(member); err != nil {
		return models.BudgetTarget{}, nil, err
	}
	return models.BudgetTarget{Scope: models.ScopeMember, GuildID: call.Caller.GuildID}, member, nil
}

func budgetSet(ctx context.Context, deps *Deps, call *Call, opts options) error {
	// Read and check the options.
	target, member, err := budgetTarget(call, opts, true)
	if err != nil {
		return err
	}
	text := opts.text("amount")
	amount, err := models.ParseUSD(text)
	if err != nil {
		return Userf("The amount %q is not a dollar amount. Write it like `2.50` or `$10`, with at most six decimal places.", text)
	}
	if amount <= 0 {
		return Userf("The amount must be more than $0. To remove a budget, use `/budget clear`.")
	}
	period := models.Period(opts.text("per"))
	if !oneOf(string(period), budgetPeriods) || period == "" {
		return Userf("Choose the period the amount covers with `per`: day or month.")
	}
	now := deps.Now()

	// Store the budget and its log row, then respond with what was spent.
	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		err := deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			if member != nil {
				memberID, err := upsertTarget(ctx, tx, member, now)
				if err != nil {
					return err
				}
				target.UserID = &memberID
			}
			_, err = models.SetBudget(ctx, tx, models.BudgetParams{Target: target, Period: period, Amount: amount, By: &actorID}, now)
			return err
		})
		if err != nil {
			return nil, moderationError(err)
		}
		logChange(deps, call, models.ActionBudgetSet, discordID(member), target.GuildID)

		status := capStatus{Scope: target.Scope, Period: period, Amount: amount}
		if err := fillSpent(ctx, deps, &status, usageScope(target), now); err != nil {
			return nil, err
		}
		return []*discordgo.MessageEmbed{{
			Title: "Budget set",
			Description: fmt.Sprintf("%s may spend up to %s per %s. Spent so far %s: %s.",
				budgetOwner(target, member), amount, period, periodPhrase(period), status.Spent),
			Color: colourChanged,
		}}, nil
	})
}

func budgetClear(ctx context.Context, deps *Deps, call *Call, opts options) error {
	target, member, err := budgetTarget(call, opts, true)
	if err != nil {
		return err
	}
	period := models.Period(opts.text("per"))
	if !oneOf(string(period), budgetPeriods) {
		return Userf("The period %q is not supported. Choose day or month, or leave it out to clear both.", period)
	}
	now := deps.Now()
	owner := budgetOwner(target, member)
	noBudget := Userf("%s has no budget in force, so nothing changed.", owner)

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		if member != nil {
			known, err := models.FindUserByDiscordID(ctx, deps.DB, member.ID)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, noBudget
			}
			if err != nil {
				return nil, err
			}
			target.UserID = &known.ID
		}
		var cleared int
		err := deps.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			actorID, err := upsertCaller(ctx, tx, call, now)
			if err != nil {
				return err
			}
			cleared, err = models.ClearBudget(ctx, tx, target, period, &actorID, "", now)
			return err
		})
		if errors.Is(err, models.ErrNoActiveEntry) {
			return nil, noBudget
		}
		if err != nil {
			return nil, moderationError(err)
		}
		logChange(deps, call, models.ActionBudgetClear, discordID(member), target.GuildID)

		noun := "budget"
		if cleared > 1 {
			noun = "budgets"
		}
		return []*discordgo.MessageEmbed{{
			Title:       "Budget cleared",
			Description: fmt.Sprintf("Removed %d %s of %s. %s", cleared, noun, owner, budgetFallback(target.Scope, deps.Defaults)),
			Color:       colourChanged,
		}}, nil
	})
}

func budgetShow(ctx context.Context, deps *Deps, call *Call, opts options) error {
	target, member, err := budgetTarget(call, opts, false)
	if err != nil {
		return err
	}
	now := deps.Now()

	return respondEphemeral(ctx, call, func(ctx context.Context) ([]*discordgo.MessageEmbed, error) {
		if member != nil {
			return showMemberBudget(ctx, deps, call, member, now)
		}
		return showSharedBudgets(ctx, deps, target, now)
	})
}

// budgetOwner names whose spending a budget caps.
func budgetOwner(target models.BudgetTarget, member *discordgo.User) string {
	switch target.Scope {
	case models.ScopeGlobal:
		return "Tally as a whole, in every server and in DMs,"
	case models.ScopeServer:
		return "This server"
	}
	return memberLabel(member.ID, member.Username)
}

// budgetFallback describes what caps spending once a budget is cleared.
func budgetFallback(scope models.BudgetScope, d DefaultLimits) string {
	switch scope {
	case models.ScopeMember:
		if d.DailyBudget > 0 {
			return fmt.Sprintf("Tally's default of %s per day applies again.", d.DailyBudget)
		}
		return "Only the server's and Tally's caps apply now."
	case models.ScopeGlobal:
		if d.GlobalMonthlyBudget > 0 {
			return fmt.Sprintf("The configured cap of %s per month applies again.", d.GlobalMonthlyBudget)
		}
	}
	return ""
}

// usageScope returns the spending a budget target caps.
func usageScope(target models.BudgetTarget) models.UsageScope {
	return models.UsageScope{UserID: target.UserID, GuildID: target.GuildID}
}

func discordID(user *discordgo.User) string {
	if user == nil {
		return ""
	}
	return user.ID
}

// showMemberBudget shows the budgets that cap the member in this server,
// with what the member spent under each.
func showMemberBudget(ctx context.Context, deps *Deps, call *Call, member *discordgo.User, now time.Time) ([]*discordgo.MessageEmbed, error) {
	var userID int64
	known, err := models.FindUserByDiscordID(ctx, deps.DB, member.ID)
	switch {
	case err == nil:
		userID = known.ID
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	caps, err := memberCaps(ctx, deps, userID, call.Caller.GuildID, now)
	if err != nil {
		return nil, err
	}
	return []*discordgo.MessageEmbed{{
		Title:       "Budgets that apply to " + clip(escapeMarkdown(firstNonEmpty(member.Username, known.Username, member.ID)), 200),
		Description: memberLabel(member.ID, member.Username) + " in this server:\n" + joinLines(capLines(caps), maxListText),
		Color:       colourInfo,
	}}, nil
}

// showSharedBudgets shows the caps of the server, or Tally's global caps,
// with what was spent under each. For a server it also lists every member
// budget in force.
func showSharedBudgets(ctx context.Context, deps *Deps, target models.BudgetTarget, now time.Time) ([]*discordgo.MessageEmbed, error) {
	active, _, err := models.ListBudgets(ctx, deps.DB, target.GuildID)
	if err != nil {
		return nil, err
	}
	var shared []capStatus
	var memberRows []models.Budget
	seen := map[models.Period]bool{}
	for _, b := range active {
		if b.Scope == models.ScopeMember {
			memberRows = append(memberRows, b)
			continue
		}
		// Admission applies the newest entry of each period.
		if b.Scope == target.Scope && !seen[b.Period] {
			seen[b.Period] = true
			shared = append(shared, capStatus{Scope: b.Scope, Period: b.Period, Amount: b.Amount})
		}
	}
	if target.Scope == models.ScopeGlobal && deps.Defaults.GlobalMonthlyBudget > 0 && !seen[models.PeriodMonth] {
		shared = append(shared, capStatus{Scope: models.ScopeGlobal, Period: models.PeriodMonth, Amount: deps.Defaults.GlobalMonthlyBudget, Configured: true})
	}

	var lines []string
	for i := range shared {
		c := &shared[i]
		if err := fillSpent(ctx, deps, c, usageScope(target), now); err != nil {
			return nil, err
		}
		line := fmt.Sprintf("• %s per %s: %s spent %s, %s left. It restarts %s.", c.Amount, c.Period, c.Spent, periodPhrase(c.Period), c.Left(), discordRelative(c.ResetsAt))
		if c.Configured {
			line += " (set in Tally's configuration)"
		}
		lines = append(lines, line)
	}
	if len(shared) == 0 {
		lines = append(lines, "No cap is set.")
	}
	title := "Spending caps of this server"
	if target.Scope == models.ScopeGlobal {
		title = "Tally-wide spending caps"
	}
	embeds := []*discordgo.MessageEmbed{{Title: title, Description: joinLines(lines, maxListText), Color: colourInfo}}
	if target.Scope != models.ScopeServer {
		return embeds, nil
	}

	memberLines, err := memberBudgetLines(ctx, deps, memberRows)
	if err != nil {
		return nil, err
	}
	embeds = append(embeds, &discordgo.MessageEmbed{
		Title:       fmt.Sprintf("Member budgets (%d)", len(memberRows)),
		Description: joinLines(memberLines, maxListText),
		Color:       colourInfo,
	})
	return embeds, nil
}

// memberBudgetLines lists member budgets with the configured default.
func memberBudgetLines(ctx context.Context, deps *Deps, rows []models.Budget) ([]string, error) {
	var ids []int64
	for _, b := range rows {
		if b.UserID != nil {
			ids = append(ids, *b.UserID)
		}
	}
	users, err := models.FindUsersByID(ctx, deps.DB, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{"Tally's default for each member: " + configuredBudget(deps.Defaults) + "."}
	for _, b := range rows {
		var u models.User
		if b.UserID != nil {
			u = users[*b.UserID]
		}
		lines = append(lines, fmt.Sprintf("• %s: %s per %s", memberLabel(u.DiscordUserID, u.Username), b.Amount, b.Period))
	}
	return lines, nil
}

// configuredBudget describes TALLY_DEFAULT_DAILY_BUDGET_USD.
func configuredBudget(d DefaultLimits) string {
	if d.DailyBudget <= 0 {
		return "no cap"
	}
	return fmt.Sprintf("%s per day", d.DailyBudget)
}
