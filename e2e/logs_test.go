package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestJSONLogs runs the bot with LOG_FORMAT=json: every line it writes is
// one JSON object with a level and a message, and the handled interaction
// carries its command and IDs as fields.
func TestJSONLogs(t *testing.T) {
	e := start(t, "sqlite", options{extraEnv: []string{"LOG_FORMAT=json"}})
	in := e.send(imagineIn(true, "a red cube"))
	e.waitEdits(in, 1, 20*time.Second)
	if err := e.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	handled := false
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if record["level"] == nil || record["msg"] == nil {
			t.Errorf("log line lacks level or msg: %q", line)
		}
		if record["msg"] == "interaction handled" && record["command"] == "imagine" &&
			record["interaction_id"] == in.ID && record["user_id"] == "333" && record["guild_id"] == "555" {
			handled = true
		}
	}
	if !handled {
		t.Errorf("no JSON record of the handled /imagine with its IDs:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), botToken) || strings.Contains(e.logs.String(), openAIKey) {
		t.Error("a token or key reached the log")
	}
}
