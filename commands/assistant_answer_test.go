package commands

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// words returns n distinct words, such as "word0 word1 …".
func words(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "word" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	return out
}

func TestSplitMessageKeepsWords(t *testing.T) {
	paragraph := strings.Join(words(60), " ")
	tests := []struct {
		name      string
		text      string
		limit     int
		wantParts int
	}{
		{name: "fits in one part", text: "Hello there.", limit: 2000, wantParts: 1},
		{name: "exactly the limit", text: strings.Repeat("a", 2000), limit: 2000, wantParts: 1},
		{name: "lines", text: strings.Repeat(paragraph+"\n", 20), limit: 2000},
		{name: "one long line of words", text: strings.Repeat(paragraph+" ", 20), limit: 2000},
		{name: "blank lines between paragraphs", text: strings.Repeat(paragraph+"\n\n", 20), limit: 500},
		{name: "multi-byte characters", text: strings.Repeat("héllo wörld ñandú 日本語 ", 300), limit: 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitMessage(tt.text, tt.limit)
			if tt.wantParts > 0 && len(parts) != tt.wantParts {
				t.Errorf("got %d parts, want %d", len(parts), tt.wantParts)
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > tt.limit {
					t.Errorf("part %d has %d characters, over the limit of %d", i, n, tt.limit)
				}
				if strings.TrimSpace(p) == "" {
					t.Errorf("part %d is empty", i)
				}
			}
			// A word cut in two would show up as two different fields.
			if diff := cmp.Diff(strings.Fields(strings.Join(parts, " ")), strings.Fields(tt.text)); diff != "" {
				t.Errorf("words changed by splitting (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSplitMessagePrefersLineBreaks(t *testing.T) {
	line := strings.Repeat("x", 59) + "\n" // 60 characters with its line break
	parts := splitMessage(strings.Repeat(line, 50), 1000)
	for i, p := range parts[:len(parts)-1] {
		if !strings.HasSuffix(p, strings.Repeat("x", 59)) {
			t.Errorf("part %d does not end at a line's end: %q", i, p[max(len(p)-70, 0):])
		}
	}
	if got, want := strings.Join(parts, "\n"), strings.TrimSpace(strings.Repeat(line, 50)); got != want {
		t.Errorf("rejoined parts differ from the text")
	}
}

func TestSplitMessageCutsOnlyLongWords(t *testing.T) {
	word := strings.Repeat("y", 4500)
	parts := splitMessage("short "+word+" tail", 2000)
	if len(parts) != 4 {
		t.Fatalf("got %d parts, want 4: short, the word in three pieces with the tail", len(parts))
	}
	if parts[0] != "short" {
		t.Errorf("first part = %q, want the word before the long one alone", parts[0])
	}
	if got := strings.Join(parts[1:], ""); got != word+" tail" {
		t.Errorf("long word rejoined has %d characters, want %d", len(got), len(word)+5)
	}
}

func TestSplitMessageReopensCodeBlocks(t *testing.T) {
	var code strings.Builder
	for i := range 200 {
		code.WriteString("    fmt.Println(\"line " + strings.Repeat("z", i%10) + "\")\n")
	}
	text := "Here is the code:\n```go\n" + code.String() + "```\nThat is all."
	parts := splitMessage(text, 2000)
	if len(parts) < 2 {
		t.Fatalf("got %d parts, want the code split", len(parts))
	}
	for i, p := range parts {
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d leaves a code block open: %d fences", i, strings.Count(p, "```"))
		}
		if i > 0 && !strings.HasPrefix(p, "```go\n") {
			t.Errorf("part %d does not reopen the go block: %q", i, p[:min(len(p), 20)])
		}
		if i > 0 && !strings.HasPrefix(p, "```go\n    fmt.Println") {
			t.Errorf("part %d lost the indentation of its first line: %q", i, p[:min(len(p), 30)])
		}
		if n := utf8.RuneCountInString(p); n > 2000 {
			t.Errorf("part %d has %d characters", i, n)
		}
	}
	if !strings.HasSuffix(parts[len(parts)-1], "That is all.") {
		t.Errorf("last part lost the text after the code")
	}
}

func TestAnswerMessagesFooterAndFile(t *testing.T) {
	footer := "Cost: $0.0012 · 4 requests left today"
	long := strings.Repeat(strings.Join(words(50), " ")+"\n", 60) // about 24,000 characters

	tests := []struct {
		name      string
		text      string
		wantParts int
		wantFile  bool
	}{
		{name: "short answer", text: "Four.", wantParts: 1},
		{name: "three messages", text: long[:5500], wantParts: 3},
		{name: "too long for messages", text: long, wantParts: 1, wantFile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, file := answerMessages(tt.text, footer)
			if len(parts) != tt.wantParts {
				t.Fatalf("got %d messages, want %d", len(parts), tt.wantParts)
			}
			if !strings.HasSuffix(parts[len(parts)-1], "\n"+footer) {
				t.Errorf("last message does not end with the footer: %q", parts[len(parts)-1])
			}
			for i, p := range parts {
				if n := utf8.RuneCountInString(p); n > maxContentLength {
					t.Errorf("message %d has %d characters, over Discord's %d", i, n, maxContentLength)
				}
			}
			if (file != nil) != tt.wantFile {
				t.Fatalf("file attached = %v, want %v", file != nil, tt.wantFile)
			}
			if file == nil {
				return
			}
			data, err := io.ReadAll(file.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.text {
				t.Errorf("attached file has %d bytes, want the whole answer of %d", len(data), len(tt.text))
			}
			if !strings.Contains(parts[0], answerFileName) {
				t.Errorf("message does not point to the attached file: %q", parts[0][len(parts[0])-200:])
			}
		})
	}
}
