package openaiclient

import (
	"strings"
	"testing"
)

func TestSafetyID(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	got := SafetyID(key, "333")

	tests := []struct {
		name  string
		check func() bool
	}{
		{name: "stable for one member", check: func() bool { return SafetyID(key, "333") == got }},
		{name: "differs between members", check: func() bool { return SafetyID(key, "334") != got }},
		{name: "differs between keys", check: func() bool { return SafetyID(otherKey, "333") != got }},
		{name: "prefixed", check: func() bool { return strings.HasPrefix(got, "tally_") }},
		{name: "49 characters, within the API's 64", check: func() bool { return len(got) == 49 }},
		{name: "does not contain the ID", check: func() bool { return !strings.Contains(got, "333") }},
		{name: "accepted by the request check", check: func() bool { return validSafetyID(got) }},
		{name: "client method uses the configured key", check: func() bool { return New(Config{SafetyKey: key}).SafetyID("333") == got }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.check() {
				t.Errorf("SafetyID(key, 333) = %q fails this property", got)
			}
		})
	}
}

func TestValidSafetyID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{name: "empty", id: "", want: true},
		{name: "from SafetyID", id: SafetyID([]byte("k"), "1"), want: true},
		{name: "raw Discord ID", id: "123456789012345678", want: false},
		{name: "prefix only", id: "tally_", want: false},
		{name: "wrong alphabet", id: "tally_" + strings.Repeat("+", 43), want: false},
		{name: "too long", id: SafetyID([]byte("k"), "1") + "A", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validSafetyID(tt.id); got != tt.want {
				t.Errorf("validSafetyID(%q) = %t, want %t", tt.id, got, tt.want)
			}
		})
	}
}
