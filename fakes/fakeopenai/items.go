package fakeopenai

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// item is one conversation item of a kind the fake supports: a message, a
// function call, or a function call's output.
type item struct {
	kind string // "message", "function_call" or "function_call_output"
	// role and text belong to messages.
	role string
	text string
	// callID belongs to function calls and their outputs. name and
	// arguments belong to function calls, output to outputs.
	callID    string
	name      string
	arguments string
	output    string
}

// tokens returns the tokens the fake counts for the item: PromptTokens of
// a message's text, of a function call's name plus PromptTokens of its
// arguments, or of an output's text.
func (it item) tokens() int {
	switch it.kind {
	case "message":
		return PromptTokens(it.text)
	case "function_call":
		return PromptTokens(it.name) + PromptTokens(it.arguments)
	default:
		return PromptTokens(it.output)
	}
}

// rawItem is an input item as sent.
type rawItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// parseInput reads a Responses API input: a string, which is one user
// message, or an array of items. param names the parameter in errors.
//
// NOTE: the fake reads text only. Image and file content parts, and item
// types other than messages, function calls and their outputs, get a 400.
func parseInput(raw json.RawMessage, param string) ([]item, reply, bool) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return []item{{kind: "message", role: "user", text: text}}, reply{}, true
	}

	var raws []rawItem
	if err := json.Unmarshal(raw, &raws); err != nil {
		return nil, invalidType(param, "a string or an array of items", raw), false
	}
	items := make([]item, 0, len(raws))
	for i, r := range raws {
		at := fmt.Sprintf("%s[%d]", param, i)
		it, rep, ok := parseItem(r, at)
		if !ok {
			return nil, rep, false
		}
		items = append(items, it)
	}
	return items, reply{}, true
}

func parseItem(r rawItem, at string) (item, reply, bool) {
	switch {
	case r.Type == "message" || (r.Type == "" && r.Role != ""):
		if !slices.Contains([]string{"user", "assistant", "system", "developer"}, r.Role) {
			return item{}, invalidValue(at+".role", r.Role, "'user', 'assistant', 'system', and 'developer'"), false
		}
		text, rep, ok := contentText(r.Content, at+".content")
		return item{kind: "message", role: r.Role, text: text}, rep, ok
	case r.Type == "function_call_output":
		if r.CallID == "" {
			return item{}, missingParameter(at + ".call_id"), false
		}
		var output string
		if err := json.Unmarshal(r.Output, &output); err != nil {
			return item{}, invalidRequest(at+".output", "invalid_type",
				"Invalid type for '%s.output': the fake accepts only a string.", at), false
		}
		return item{kind: "function_call_output", callID: r.CallID, output: output}, reply{}, true
	case r.Type == "function_call":
		if r.CallID == "" || r.Name == "" {
			return item{}, missingParameter(at + ".call_id"), false
		}
		return item{kind: "function_call", callID: r.CallID, name: r.Name, arguments: r.Arguments}, reply{}, true
	}
	return item{}, invalidValue(at+".type", r.Type, "'message', 'function_call', and 'function_call_output' (the fake's subset)"), false
}

// contentText joins the text of a message's content: a string, or an array
// of input_text or output_text parts.
func contentText(raw json.RawMessage, param string) (string, reply, bool) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text, reply{}, true
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", invalidType(param, "a string or an array of content parts", raw), false
	}
	texts := make([]string, 0, len(parts))
	for i, p := range parts {
		if p.Type != "input_text" && p.Type != "output_text" {
			return "", invalidValue(fmt.Sprintf("%s[%d].type", param, i), p.Type, "'input_text' and 'output_text' (the fake's subset)"), false
		}
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), reply{}, true
}

// pendingCalls returns the call IDs of function calls in items that have no
// output yet, in order.
func pendingCalls(items []item) []string {
	var pending []string
	for _, it := range items {
		switch it.kind {
		case "function_call":
			pending = append(pending, it.callID)
		case "function_call_output":
			pending = slices.DeleteFunc(pending, func(id string) bool { return id == it.callID })
		}
	}
	return pending
}
