package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tallybot/tally/fakes/fakediscord"
	"github.com/tallybot/tally/fakes/fakeopenai"
	"github.com/tallybot/tally/internal/dbtest"
	"github.com/tallybot/tally/models"
)

const (
	responsesPath      = "/v1/responses"
	conversationsPath  = "/v1/conversations"
	helperInstructions = "You answer questions about our game in two sentences."
	// assistantModPerms is memberPerms with Moderate Members (1 << 40).
	assistantModPerms = "1101659229184"
	// assistantDMChannel is the DM channel of every DM interaction in these tests.
	assistantDMChannel = "777"
)

var (
	memberBob      = fakediscord.User{ID: "444", Username: "bob"}
	moderatorCarol = fakediscord.User{ID: "666", Username: "carol"}
)

// gpt5MiniCost prices text fakeTokens at the seeded gpt-5-mini rates, $0.25
// per million input fakeTokens and $2.00 per million output fakeTokens, rounded
// half up to a whole micro-dollar.
func gpt5MiniCost(input, output int) models.MicroUSD {
	total := int64(input)*250_000 + int64(output)*2_000_000
	return models.MicroUSD((total + 500_000) / 1_000_000)
}

func fakeTokens(text string) int { return fakeopenai.PromptTokens(text) }

func assistantIn(user fakediscord.User, perms, channelID string, sub fakediscord.Option) fakediscord.Interaction {
	return fakediscord.GuildCommand("555", channelID, user, perms, "assistant", sub)
}

func assistantDM(user fakediscord.User, sub fakediscord.Option) fakediscord.Interaction {
	return fakediscord.DMCommand(assistantDMChannel, user, "assistant", sub)
}

func createOption(name, instructions string, extra ...fakediscord.Option) fakediscord.Option {
	all := append([]fakediscord.Option{fakediscord.StringOption("name", name), fakediscord.StringOption("instructions", instructions)}, extra...)
	return fakediscord.Subcommand("create", all...)
}

func chatOption(assistant, message string) fakediscord.Option {
	return fakediscord.Subcommand("chat", fakediscord.StringOption("assistant", assistant), fakediscord.StringOption("message", message))
}

func replyOption(message string) fakediscord.Option {
	return fakediscord.Subcommand("reply", fakediscord.StringOption("message", message))
}

// shown waits for what the member sees first: the content of a direct
// reply, or of the first edit after a deferral.
func (e *env) shown(in fakediscord.Interaction) (content string, ephemeral bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	state, err := e.discord.WaitResponse(ctx, in.ID)
	if err != nil {
		e.t.Fatalf("no response to interaction %s: %v\n%s", in.ID, err, e.logs.String())
	}
	if state.Response.Type == 4 {
		var data struct {
			Content string `json:"content"`
			Flags   int    `json:"flags"`
		}
		if err := json.Unmarshal(state.Response.Data, &data); err != nil {
			e.t.Fatalf("decode reply: %v", err)
		}
		return data.Content, data.Flags&64 != 0
	}
	edits := e.waitEdits(in, 1, 30*time.Second)
	return requestContent(e.t, edits[0]), false
}

func requestContent(t *testing.T, r fakediscord.Request) string {
	t.Helper()
	var payload struct {
		Content string `json:"content"`
	}
	if err := r.Decode(&payload); err != nil {
		t.Fatal(err)
	}
	return payload.Content
}

// ledgerOf returns the ledger rows of one interaction, by step.
func (e *env) ledgerOf(in fakediscord.Interaction) []models.LedgerEntry {
	e.t.Helper()
	var rows []models.LedgerEntry
	err := e.db.NewSelect().Model(&rows).Where("interaction_id = ?", in.ID).Order("step").Scan(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// ledgerStep is the part of a ledger row these tests check.
type ledgerStep struct {
	Step     int
	Endpoint string
	Status   models.LedgerStatus
	Cost     models.MicroUSD
}

func (e *env) ledgerSteps(in fakediscord.Interaction) []ledgerStep {
	var out []ledgerStep
	for _, r := range e.ledgerOf(in) {
		out = append(out, ledgerStep{Step: r.Step, Endpoint: r.Endpoint, Status: r.Status, Cost: r.Cost})
	}
	return out
}

func checkSteps(t *testing.T, got, want []ledgerStep) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("ledger rows = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ledger step %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// threadIn returns the conversation row tied to a Discord channel.
func (e *env) threadIn(channelID string) models.Thread {
	e.t.Helper()
	thread, err := models.FindThreadByChannel(context.Background(), e.db, channelID)
	if err != nil {
		e.t.Fatalf("conversation of channel %s: %v", channelID, err)
	}
	return thread
}

// createHelper creates an assistant through the bot, "helper" unless the
// interaction names another, and waits until it exists.
func (e *env) createHelper(in fakediscord.Interaction) {
	e.t.Helper()
	e.send(in)
	if content, _ := e.shown(in); !strings.Contains(content, "Created the assistant **") {
		e.t.Fatalf("create answered %q", content)
	}
}

// responseInput returns the input items of a recorded POST /v1/responses.
func responseInput(t *testing.T, r fakeopenai.Request) []map[string]any {
	t.Helper()
	raw, err := json.Marshal(r.JSON["input"])
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatalf("input is not an array of items: %s", raw)
	}
	return items
}

func TestAssistantManageWithPermissions(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			ctx := context.Background()

			create := e.send(assistantIn(member, memberPerms, "222", createOption("helper", helperInstructions)))
			content, _ := e.shown(create)
			if !strings.Contains(content, "Created the assistant **helper** (model `gpt-5-mini`)") || !strings.Contains(content, "Cost: $0.00") {
				t.Errorf("create answered %q", content)
			}
			checkSteps(t, e.ledgerSteps(create), []ledgerStep{{0, models.EndpointAssistantCreate, models.StatusSettled, 0}})

			var rows []models.Assistant
			if err := e.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			alice, err := models.FindUserByDiscordID(ctx, e.db, member.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].GuildID != "555" || rows[0].CreatorID != alice.ID || rows[0].Instructions != helperInstructions {
				t.Fatalf("assistants = %+v, want helper by alice in 555", rows)
			}

			tests := []struct {
				name      string
				in        fakediscord.Interaction
				want      string
				ephemeral bool
			}{
				{name: "name taken in another case", in: assistantIn(memberBob, memberPerms, "222", createOption("HELPER", "x")), want: "An assistant named **HELPER** already exists here", ephemeral: true},
				{name: "unpriced model", in: assistantIn(memberBob, memberPerms, "222", createOption("poet", "Rhyme.", fakediscord.StringOption("model", "gpt-9-ultra"))), want: "Tally has no price for the model `gpt-9-ultra`", ephemeral: true},
				{name: "invalid model name", in: assistantIn(memberBob, memberPerms, "222", createOption("poet", "Rhyme.", fakediscord.StringOption("model", "gpt 5"))), want: "is not a valid model name", ephemeral: true},
				{name: "blank instructions", in: assistantIn(memberBob, memberPerms, "222", createOption("poet", "   ")), want: "The instructions are empty", ephemeral: true},
				{name: "second assistant", in: assistantIn(memberBob, memberPerms, "222", createOption("poet", "Rhyme.")), want: "Created the assistant **poet**"},
				{name: "list shows creators", in: assistantIn(memberBob, memberPerms, "222", fakediscord.Subcommand("list")), want: "• **helper** · `gpt-5-mini` · by alice\n• **poet** · `gpt-5-mini` · by bob", ephemeral: true},
				{name: "member deletes another's", in: assistantIn(memberBob, memberPerms, "222", fakediscord.Subcommand("delete", fakediscord.StringOption("name", "helper"))), want: "Only the creator of **helper** or a moderator can delete it.", ephemeral: true},
				{name: "moderator deletes", in: assistantIn(moderatorCarol, assistantModPerms, "222", fakediscord.Subcommand("delete", fakediscord.StringOption("name", "helper"))), want: "Deleted the assistant **helper**", ephemeral: true},
				{name: "creator deletes own", in: assistantIn(memberBob, memberPerms, "222", fakediscord.Subcommand("delete", fakediscord.StringOption("name", "poet"))), want: "Deleted the assistant **poet**", ephemeral: true},
				{name: "deleted is gone", in: assistantIn(member, memberPerms, "222", fakediscord.Subcommand("delete", fakediscord.StringOption("name", "helper"))), want: "There is no assistant named **helper** here", ephemeral: true},
				{name: "name free again", in: assistantIn(member, memberPerms, "222", createOption("helper", "Again.")), want: "Created the assistant **helper**"},
				{name: "DM assistants are private", in: assistantDM(memberBob, fakediscord.Subcommand("list")), want: "There are no assistants here yet", ephemeral: true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e.send(tt.in)
					content, ephemeral := e.shown(tt.in)
					if !strings.Contains(content, tt.want) {
						t.Errorf("member saw %q, want %q in it", content, tt.want)
					}
					if ephemeral != tt.ephemeral {
						t.Errorf("ephemeral = %v, want %v", ephemeral, tt.ephemeral)
					}
					if n := len(e.requestsFor(tt.in)); tt.ephemeral && n != 1 {
						t.Errorf("%d Discord calls for a direct reply, want 1", n)
					}
				})
			}

			var active, deleted int
			if err := e.db.NewRaw("SELECT COUNT(*) FROM assistant_table WHERE date_deleted IS NULL").Scan(ctx, &active); err != nil {
				t.Fatal(err)
			}
			if err := e.db.NewRaw("SELECT COUNT(*) FROM assistant_table WHERE date_deleted IS NOT NULL").Scan(ctx, &deleted); err != nil {
				t.Fatal(err)
			}
			if active != 1 || deleted != 2 {
				t.Errorf("assistants: %d active and %d deleted, want 1 and 2", active, deleted)
			}
			var ledger int
			if err := e.db.NewRaw("SELECT COUNT(*) FROM usage_ledger_table WHERE endpoint = ? AND status = 'settled' AND cost_micro_usd = 0",
				models.EndpointAssistantCreate).Scan(ctx, &ledger); err != nil {
				t.Fatal(err)
			}
			if ledger != 3 {
				t.Errorf("%d settled create rows at zero cost, want one per assistant created (3)", ledger)
			}
			if n := len(e.openaiCalls(conversationsPath)) + len(e.openaiCalls(responsesPath)); n != 0 {
				t.Errorf("%d OpenAI requests, want none: an assistant is a database row", n)
			}
		})
	}
}

func TestAssistantChatInServerThread(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			ctx := context.Background()
			e.createHelper(assistantIn(member, memberPerms, "222", createOption("helper", helperInstructions)))

			chat := e.send(assistantIn(member, memberPerms, "222", chatOption("helper", "When does the season end?")))
			summary, _ := e.shown(chat)

			threads := discordRoutes(e.discord, fakediscord.RouteThreadCreate)
			if len(threads) != 1 || threads[0].Status != 201 {
				t.Fatalf("thread requests = %+v, want one created", routes(threads))
			}
			var created struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(threads[0].Response, &created); err != nil || created.ID == "" {
				t.Fatalf("thread response %s: %v", threads[0].Response, err)
			}
			channel, ok := e.discord.Channel(created.ID)
			if !ok || channel.ParentID != "222" || channel.Type != fakediscord.ChannelTypePublicThread || !strings.HasPrefix(channel.Name, "helper: When does the season end?") {
				t.Errorf("thread = %+v, want a public thread of 222 named after the message", channel)
			}

			firstIn := fakeTokens(helperInstructions) + fakeTokens("When does the season end?")
			firstOut := fakeTokens("Echo: When does the season end?")
			firstCost := gpt5MiniCost(firstIn, firstOut)
			checkSteps(t, e.ledgerSteps(chat), []ledgerStep{
				{0, models.EndpointAssistantThreadCreate, models.StatusSettled, 0},
				{1, models.EndpointAssistantRun, models.StatusSettled, firstCost},
			})
			if !strings.Contains(summary, "<#"+created.ID+">") || !strings.Contains(summary, "Cost: "+firstCost.String()) {
				t.Errorf("original response = %q, want the thread and the cost %s", summary, firstCost)
			}

			posted := e.discord.ChannelMessages(created.ID)
			if len(posted) != 1 || posted[0].Content != "> <@333>: When does the season end?\nEcho: When does the season end?" {
				t.Errorf("thread messages = %+v, want the quoted question and the answer", posted)
			}

			thread := e.threadIn(created.ID)
			conversations := e.openaiCalls(conversationsPath)
			responses := e.openaiCalls(responsesPath)
			if len(conversations) != 1 || len(responses) != 1 {
				t.Fatalf("OpenAI got %d conversations and %d responses, want 1 and 1", len(conversations), len(responses))
			}
			request := responses[0].JSON
			if request["conversation"] != thread.ConversationID || request["instructions"] != helperInstructions || request["model"] != "gpt-5-mini" {
				t.Errorf("response request = %v, want the conversation %s with the instructions", request, thread.ConversationID)
			}
			if id, _ := request["safety_identifier"].(string); id == "" || strings.Contains(id, member.ID) {
				t.Errorf("safety_identifier = %q, want a hash of the member's ID", id)
			}
			if !thread.RunStartedAt.IsZero() {
				t.Errorf("run claim still held after the run: %v", thread.RunStartedAt)
			}

			// /assistant reply inside the new thread continues the conversation.
			reply := e.send(assistantIn(member, memberPerms, created.ID, replyOption("And the next one?")))
			content, _ := e.shown(reply)
			if !strings.HasPrefix(content, "> <@333>: And the next one?\nEcho: And the next one?\n") {
				t.Errorf("reply answered %q", content)
			}
			replyIn := fakeTokens(helperInstructions) + fakeTokens("When does the season end?") + fakeTokens("Echo: When does the season end?") + fakeTokens("And the next one?")
			replyCost := gpt5MiniCost(replyIn, fakeTokens("Echo: And the next one?"))
			checkSteps(t, e.ledgerSteps(reply), []ledgerStep{{0, models.EndpointAssistantRun, models.StatusSettled, replyCost}})
			if !strings.HasSuffix(content, "Cost: "+replyCost.String()) {
				t.Errorf("reply does not end with its cost %s: %q", replyCost, content)
			}
			if responses := e.openaiCalls(responsesPath); len(responses) != 2 || responses[1].JSON["conversation"] != thread.ConversationID {
				t.Errorf("reply did not go to the thread's conversation")
			}

			// Another member cannot continue it: the conversation holds the
			// starter's own usage figures.
			intruder := e.send(assistantIn(bob, memberPerms, created.ID, replyOption("What did they spend?")))
			refusal, ephemeral := e.shown(intruder)
			if !ephemeral || !strings.Contains(refusal, "Only the member who started this conversation") {
				t.Errorf("another member's reply got %q (ephemeral %v), want an ephemeral refusal", refusal, ephemeral)
			}
			if n := len(e.openaiCalls(responsesPath)); n != 2 {
				t.Errorf("%d response requests after another member's reply, want still 2", n)
			}
			if rows := e.ledgerOf(intruder); len(rows) != 0 {
				t.Errorf("another member's refused reply left ledger rows: %+v", rows)
			}

			var rollups []models.EndpointUserUsage
			if err := e.db.NewSelect().Model(&rollups).Where("guild_id = '555'").Order("endpoint").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			byEndpoint := map[string]models.MicroUSD{}
			for _, r := range rollups {
				byEndpoint[r.Endpoint] += r.Cost
			}
			if got, want := byEndpoint[models.EndpointAssistantRun], firstCost+replyCost; got != want {
				t.Errorf("run roll-up = %s, want %s", got, want)
			}
			if unexpected := e.discord.Unexpected(); len(unexpected) > 0 {
				t.Errorf("bot made requests the fake Discord refused: %+v", unexpected)
			}
		})
	}
}

func TestAssistantChatInDMAndLongAnswer(t *testing.T) {
	e := start(t, "sqlite", options{})
	e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))

	chat := e.send(assistantDM(member, chatOption("helper", "Hello")))
	content, _ := e.shown(chat)
	if !strings.Contains(content, "Echo: Hello") {
		t.Errorf("DM chat answered %q", content)
	}
	if n := len(discordRoutes(e.discord, fakediscord.RouteThreadCreate)); n != 0 {
		t.Errorf("%d thread requests in a DM, want none", n)
	}
	thread := e.threadIn(assistantDMChannel)
	if thread.GuildID != models.DMGuildID {
		t.Errorf("DM conversation guild = %q, want %q", thread.GuildID, models.DMGuildID)
	}

	// A long answer arrives as several messages, cut between words.
	var long strings.Builder
	for i := 0; long.Len() < 4500; i++ {
		long.WriteString("Sentence number " + string(rune('a'+i%26)) + " of a long answer that goes on. ")
	}
	answer := strings.TrimSpace(long.String())
	e.openai.QueueTurns(fakeopenai.Turn{Text: answer})
	reply := e.send(assistantDM(member, replyOption("Tell me everything")))
	e.waitEdits(reply, 1, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	followups, err := e.discord.WaitRequests(ctx, 2, func(r fakediscord.Request) bool {
		return r.Route == fakediscord.RouteFollowupCreate && strings.Contains(r.Path, reply.Token)
	})
	if err != nil {
		t.Fatalf("want two follow-ups after the edit: %v", err)
	}
	state, _ := e.discord.Interaction(reply.ID)
	messages := []string{state.Original.Content}
	for _, f := range followups {
		messages = append(messages, requestContent(t, f))
	}
	for i, m := range messages {
		if n := utf8.RuneCountInString(m); n > 2000 {
			t.Errorf("message %d has %d characters", i, n)
		}
	}
	joined := strings.Join(messages, " ")
	if !strings.Contains(strings.Join(strings.Fields(joined), " "), strings.Join(strings.Fields(answer), " ")) {
		t.Errorf("the answer was not delivered whole and in order")
	}
	if !strings.Contains(messages[len(messages)-1], "Cost: $") {
		t.Errorf("last message lacks the cost: %q", messages[len(messages)-1])
	}
}

// TestAssistantSecondMessageWaits sends a second message 500 ms after the
// first while the first run takes two seconds: the second waits for the
// first, the conversation gets both in order, and each run is charged once.
func TestAssistantSecondMessageWaits(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))
			e.shown(e.send(assistantDM(member, chatOption("helper", "Start"))))

			e.openai.Script(responsesPath, fakeopenai.Delay(2*time.Second))
			first := e.send(assistantDM(member, replyOption("first")))
			time.Sleep(500 * time.Millisecond)
			second := e.send(assistantDM(member, replyOption("second")))

			firstContent, _ := e.shown(first)
			secondContent, _ := e.shown(second)
			if !strings.Contains(firstContent, "Echo: first") || !strings.Contains(secondContent, "Echo: second") {
				t.Errorf("answers = %q and %q, want each echoed", firstContent, secondContent)
			}
			responses := e.openaiCalls(responsesPath)
			if len(responses) != 3 {
				t.Fatalf("%d response requests, want 3 (chat, first, second)", len(responses))
			}
			for i, r := range responses {
				if r.Status != 200 {
					t.Errorf("response request %d got status %d; a locked conversation means two runs overlapped", i, r.Status)
				}
			}
			if gap := responses[2].Time.Sub(responses[1].Time); gap < 1900*time.Millisecond {
				t.Errorf("second run started %v after the first, want after the first finished (2 s)", gap)
			}
			for _, in := range []fakediscord.Interaction{first, second} {
				rows := e.ledgerOf(in)
				if len(rows) != 1 || rows[0].Status != models.StatusSettled || rows[0].Cost == 0 {
					t.Errorf("ledger of %s = %+v, want one settled run", in.ID, rows)
				}
			}
		})
	}
}

// TestAssistantBusyConversationRejects holds the run claim as another
// process would, so a message waits, is rejected, and costs nothing. A
// claim older than the run deadline counts as abandoned.
func TestAssistantBusyConversationRejects(t *testing.T) {
	e := start(t, "sqlite", options{})
	ctx := context.Background()
	e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))
	e.shown(e.send(assistantDM(member, chatOption("helper", "Start"))))
	thread := e.threadIn(assistantDMChannel)

	claim := func(at time.Time) {
		t.Helper()
		_, err := e.db.NewUpdate().Model((*models.Thread)(nil)).Set("run_started_at = ?", models.ClaimTime(at)).Where("id = ?", thread.ID).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	claim(time.Now())
	busy := e.send(assistantDM(member, replyOption("anyone there?")))
	content, _ := e.shown(busy)
	if !strings.Contains(content, "still answering the previous message") || !strings.Contains(content, "Nothing was charged") {
		t.Errorf("busy conversation answered %q", content)
	}
	checkSteps(t, e.ledgerSteps(busy), []ledgerStep{{0, models.EndpointAssistantRun, models.StatusFailed, 0}})
	if n := len(e.openaiCalls(responsesPath)); n != 1 {
		t.Errorf("%d response requests, want only the chat's", n)
	}

	claim(time.Now().Add(-14 * time.Minute))
	stale := e.send(assistantDM(member, replyOption("now?")))
	if content, _ := e.shown(stale); !strings.Contains(content, "Echo: now?") {
		t.Errorf("after a stale claim the reply answered %q", content)
	}
}

// TestAssistantToolCallsInOneRequest has the model ask for two function
// calls in one response, one of which fails: both outputs go back in one
// tool run, and the run ends with the model's answer.
func TestAssistantToolCallsInOneRequest(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))
			e.openai.QueueTurns(fakeopenai.Turn{Calls: []fakeopenai.Call{
				{Name: "current_time", Arguments: `{"timezone":"UTC"}`},
				{Name: "current_time", Arguments: `{"timezone":"Mars/Olympus"}`},
			}})

			chat := e.send(assistantDM(member, chatOption("helper", "What time is it?")))
			content, _ := e.shown(chat)

			responses := e.openaiCalls(responsesPath)
			if len(responses) != 2 {
				t.Fatalf("%d response requests, want the run and one tool run", len(responses))
			}
			outputs := responseInput(t, responses[1])
			if len(outputs) != 2 || outputs[0]["type"] != "function_call_output" || outputs[1]["type"] != "function_call_output" {
				t.Fatalf("tool run input = %v, want both function outputs", outputs)
			}
			utc, _ := outputs[0]["output"].(string)
			mars, _ := outputs[1]["output"].(string)
			if !strings.Contains(utc, `"timezone":"UTC"`) {
				t.Errorf("current_time output = %s", utc)
			}
			if !strings.Contains(mars, `"error":"unknown time zone \"Mars/Olympus\"`) {
				t.Errorf("failing tool output = %s, want an error text", mars)
			}
			answer := "Results: " + utc + "; " + mars
			if !strings.Contains(content, answer) {
				t.Errorf("member saw %q, want the model's final answer", content)
			}

			// The tool run's input is the instructions, the history (the
			// message and both calls) and both outputs.
			calls := fakeTokens("current_time")*2 + fakeTokens(`{"timezone":"UTC"}`) + fakeTokens(`{"timezone":"Mars/Olympus"}`)
			runCost := gpt5MiniCost(fakeTokens(helperInstructions)+fakeTokens("What time is it?"), calls)
			toolIn := fakeTokens(helperInstructions) + fakeTokens("What time is it?") + calls + fakeTokens(utc) + fakeTokens(mars)
			toolCost := gpt5MiniCost(toolIn, fakeTokens(answer))
			checkSteps(t, e.ledgerSteps(chat), []ledgerStep{
				{0, models.EndpointAssistantThreadCreate, models.StatusSettled, 0},
				{1, models.EndpointAssistantRun, models.StatusSettled, runCost},
				{2, models.EndpointAssistantSubmitToolRun, models.StatusSettled, toolCost},
			})
			if !strings.Contains(content, "Cost: "+(runCost+toolCost).String()) {
				t.Errorf("member saw %q, want the total cost %s", content, runCost+toolCost)
			}
			if pending := e.threadIn(assistantDMChannel).PendingCalls(); len(pending) != 0 {
				t.Errorf("pending calls after a finished run: %v", pending)
			}
		})
	}
}

// TestAssistantToolRoundsCapped has the model keep calling tools past
// TALLY_MAX_TOOL_ROUNDS: the run stops, and the next message answers the
// calls left open so that OpenAI accepts it.
func TestAssistantToolRoundsCapped(t *testing.T) {
	e := start(t, "sqlite", options{extraEnv: []string{"TALLY_MAX_TOOL_ROUNDS=2"}})
	e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))
	usage := fakeopenai.Turn{Calls: []fakeopenai.Call{{Name: "usage_summary", Arguments: `{"period":"today"}`}}}
	e.openai.QueueTurns(usage, usage, usage)

	chat := e.send(assistantDM(member, chatOption("helper", "Loop forever")))
	content, _ := e.shown(chat)
	if !strings.Contains(content, "still calling tools after 2 rounds") {
		t.Errorf("member saw %q, want the round limit explained", content)
	}
	steps := e.ledgerSteps(chat)
	if len(steps) != 4 || steps[3].Endpoint != models.EndpointAssistantSubmitToolRun || steps[3].Status != models.StatusSettled {
		t.Fatalf("ledger = %+v, want the conversation, the run and two tool runs", steps)
	}
	responses := e.openaiCalls(responsesPath)
	if len(responses) != 3 {
		t.Fatalf("%d response requests, want 3", len(responses))
	}
	usageOutput, _ := responseInput(t, responses[1])[0]["output"].(string)
	if !strings.Contains(usageOutput, `"requests"`) || !strings.Contains(usageOutput, `"where":"direct messages with the bot"`) {
		t.Errorf("usage_summary output = %s", usageOutput)
	}
	pending := e.threadIn(assistantDMChannel).PendingCalls()
	if len(pending) != 1 {
		t.Fatalf("pending calls = %v, want the last unanswered call", pending)
	}

	reply := e.send(assistantDM(member, replyOption("Stop now")))
	if content, _ := e.shown(reply); !strings.Contains(content, "Echo: Stop now") {
		t.Errorf("reply after the cap answered %q", content)
	}
	last := e.openaiCalls(responsesPath)[3]
	input := responseInput(t, last)
	if len(input) != 2 || input[0]["type"] != "function_call_output" || input[0]["call_id"] != pending[0] || input[1]["role"] != "user" {
		t.Errorf("reply input = %v, want the open call's output, then the message", input)
	}
	if last.Status != 200 {
		t.Errorf("reply request got status %d", last.Status)
	}
	if left := e.threadIn(assistantDMChannel).PendingCalls(); len(left) != 0 {
		t.Errorf("pending calls after the reply: %v", left)
	}
}

// TestAssistantFailureMidRun fails the tool run after a successful first
// response: the first stays charged, the failed one is released, and the
// conversation still accepts the next message.
func TestAssistantFailureMidRun(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := start(t, kind, options{})
			e.createHelper(assistantDM(member, createOption("helper", helperInstructions)))
			e.openai.QueueTurns(fakeopenai.Turn{Calls: []fakeopenai.Call{{Name: "current_time", Arguments: `{"timezone":""}`}}})
			e.openai.Script(responsesPath, fakeopenai.Step{},
				fakeopenai.Fail(400, "invalid_request_error", "invalid_value", "Something about the request was wrong."))

			chat := e.send(assistantDM(member, chatOption("helper", "Time please")))
			content, _ := e.shown(chat)
			if !strings.Contains(content, "OpenAI rejected this request") || !strings.Contains(content, "The requests before it were charged") {
				t.Errorf("member saw %q", content)
			}
			steps := e.ledgerSteps(chat)
			if len(steps) != 3 {
				t.Fatalf("ledger = %+v, want the conversation, the run and the failed tool run", steps)
			}
			if steps[1].Status != models.StatusSettled || steps[1].Cost == 0 {
				t.Errorf("run = %+v, want settled at its cost", steps[1])
			}
			if steps[2].Endpoint != models.EndpointAssistantSubmitToolRun || steps[2].Status != models.StatusFailed || steps[2].Cost != 0 {
				t.Errorf("tool run = %+v, want released at zero", steps[2])
			}
			if !strings.Contains(content, "Cost: "+steps[1].Cost.String()) {
				t.Errorf("member saw %q, want the charged cost %s", content, steps[1].Cost)
			}
			if n := len(e.openaiCalls(responsesPath)); n != 2 {
				t.Errorf("%d response requests, want 2 (a 400 is not retried)", n)
			}

			reply := e.send(assistantDM(member, replyOption("Try again")))
			if content, _ := e.shown(reply); !strings.Contains(content, "Echo: Try again") {
				t.Errorf("reply after the failure answered %q", content)
			}
			if last := e.openaiCalls(responsesPath)[2]; last.Status != 200 {
				t.Errorf("reply request got status %d: the conversation was left unusable", last.Status)
			}
		})
	}
}

// TestAssistantRefusalsChargeNothing covers the refusals before any
// OpenAI request: each answers once and costs nothing.
func TestAssistantRefusalsChargeNothing(t *testing.T) {
	e := start(t, "sqlite", options{extraEnv: []string{"TALLY_DEFAULT_DAILY_REQUESTS=2"}})
	ctx := context.Background()
	e.createHelper(assistantIn(member, memberPerms, "222", createOption("helper", helperInstructions)))

	e.openai.Script(conversationsPath, fakeopenai.InsufficientQuota())
	failed := e.send(assistantIn(member, memberPerms, "222", chatOption("helper", "Hello")))
	content, _ := e.shown(failed)
	if !strings.Contains(content, "out of credit") || !strings.Contains(content, "Nothing was charged") {
		t.Errorf("quota failure answered %q", content)
	}
	checkSteps(t, e.ledgerSteps(failed), []ledgerStep{{0, models.EndpointAssistantThreadCreate, models.StatusFailed, 0}})

	// The failed chat was released, so it does not count against the
	// limit; a second create uses the member's second request of the day.
	e.createHelper(assistantIn(member, memberPerms, "222", createOption("poet", "Rhyme.")))

	tests := []struct {
		name string
		in   fakediscord.Interaction
		want string
	}{
		{name: "unknown assistant", in: assistantIn(member, memberPerms, "222", chatOption("nobody", "Hi")), want: "There is no assistant named **nobody** here"},
		{name: "blank message", in: assistantIn(member, memberPerms, "222", chatOption("helper", "  ")), want: "The message is empty"},
		{name: "reply outside a conversation", in: assistantIn(member, memberPerms, "222", replyOption("Hi")), want: "There is no assistant conversation in this channel"},
		{name: "daily limit", in: assistantIn(member, memberPerms, "222", chatOption("helper", "Hi")), want: "You have used all 2 of your requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.send(tt.in)
			content, ephemeral := e.shown(tt.in)
			if !strings.Contains(content, tt.want) {
				t.Errorf("member saw %q, want %q in it", content, tt.want)
			}
			if !ephemeral {
				t.Errorf("refusal is public, want it shown to the member only")
			}
			if n := len(e.requestsFor(tt.in)); n != 1 {
				t.Errorf("%d Discord calls, want one reply", n)
			}
		})
	}

	var charged int
	if err := e.db.NewRaw("SELECT COUNT(*) FROM usage_ledger_table WHERE cost_micro_usd > 0").Scan(ctx, &charged); err != nil {
		t.Fatal(err)
	}
	if charged != 0 {
		t.Errorf("%d ledger rows with a cost, want none", charged)
	}
	if n := len(e.openaiCalls(responsesPath)); n != 0 {
		t.Errorf("%d response requests, want none", n)
	}
	if n, err := e.db.NewSelect().Model((*models.Thread)(nil)).Count(ctx); err != nil || n != 0 {
		t.Errorf("%d conversations recorded (%v), want none", n, err)
	}
}

// TestAssistantChatInsideThreadStaysThere runs /assistant chat inside a
// conversation's thread, where Discord rejects a new thread: the answer
// edits the response in that thread, and the new conversation replaces the
// thread's earlier one.
func TestAssistantChatInsideThreadStaysThere(t *testing.T) {
	e := start(t, "sqlite", options{})
	e.createHelper(assistantIn(member, memberPerms, "222", createOption("helper", helperInstructions)))
	e.shown(e.send(assistantIn(member, memberPerms, "222", chatOption("helper", "First topic"))))
	threads := discordRoutes(e.discord, fakediscord.RouteThreadCreate)
	if len(threads) != 1 {
		t.Fatalf("%d thread requests, want 1", len(threads))
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(threads[0].Response, &created); err != nil {
		t.Fatal(err)
	}
	before := e.threadIn(created.ID)

	inside := e.send(assistantIn(memberBob, memberPerms, created.ID, chatOption("helper", "Second topic")))
	content, ephemeral := e.shown(inside)
	if ephemeral || !strings.Contains(content, "Echo: Second topic") || !strings.Contains(content, "Cost: $") {
		t.Errorf("chat inside the thread answered %q (ephemeral %v), want the answer in place", content, ephemeral)
	}
	attempts := discordRoutes(e.discord, fakediscord.RouteThreadCreate)
	if len(attempts) != 2 || attempts[1].Status < 400 {
		t.Errorf("thread requests = %v, want a second one that Discord rejects", routes(attempts))
	}

	after := e.threadIn(created.ID)
	if after.ID != before.ID || after.ConversationID == before.ConversationID {
		t.Errorf("thread row %+v, want row %d with a new conversation", after, before.ID)
	}
	bobRow, err := models.FindUserByDiscordID(context.Background(), e.db, memberBob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.CreatorID != bobRow.ID {
		t.Errorf("conversation creator = %d, want bob (%d)", after.CreatorID, bobRow.ID)
	}
	last := e.openaiCalls(responsesPath)[1]
	if last.JSON["conversation"] != after.ConversationID {
		t.Errorf("second chat ran in %v, want its new conversation %s", last.JSON["conversation"], after.ConversationID)
	}
}
