package models

import (
	"errors"
	"testing"
)

func TestParseUSD(t *testing.T) {
	tests := []struct {
		in   string
		want MicroUSD
	}{
		{"40", 40_000_000},
		{"0.04", 40_000},
		{"$1.5", 1_500_000},
		{"0.000125", 125},
		{".5", 500_000},
		{"7.", 7_000_000},
		{" 12.34 ", 12_340_000},
	}
	for _, tt := range tests {
		got, err := ParseUSD(tt.in)
		if err != nil {
			t.Errorf("ParseUSD(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseUSD(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseUSDRejects(t *testing.T) {
	for _, in := range []string{"", ".", "-1", "1e3", "0.0000001", "abc", "1,5", "9999999999999", "+2"} {
		if _, err := ParseUSD(in); !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("ParseUSD(%q) error = %v, want ErrInvalidAmount", in, err)
		}
	}
}

func TestMicroUSDString(t *testing.T) {
	tests := []struct {
		in   MicroUSD
		want string
	}{
		{0, "$0.00"},
		{40_000, "$0.04"},
		{120_000, "$0.12"},
		{125, "$0.000125"},
		{40_000_000, "$40.00"},
		{-1_500_000, "-$1.50"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("MicroUSD(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestTokenCostRoundsHalfUpOnce(t *testing.T) {
	tests := []struct {
		name  string
		pairs [][2]int64
		want  MicroUSD
	}{
		{"exact", [][2]int64{{1_000_000, 5_000_000}}, 5_000_000},
		{"half rounds up", [][2]int64{{1, 500_000}}, 1},
		{"below half rounds down", [][2]int64{{1, 499_999}}, 0},
		// Each part alone is 0.4 µ$ and would round to zero; summed first
		// they make 1.2 µ$, which rounds to 1.
		{"sum before rounding", [][2]int64{{1, 400_000}, {1, 400_000}, {1, 400_000}}, 1},
		{"image call", [][2]int64{{7, 5_000_000}, {1056, 30_000_000}}, 31_715},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TokenCost(tt.pairs...)
			if err != nil {
				t.Fatalf("TokenCost: %v", err)
			}
			if got != tt.want {
				t.Errorf("TokenCost = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTokenCostOverflow(t *testing.T) {
	if _, err := TokenCost([2]int64{1 << 62, 1 << 62}); !errors.Is(err, ErrAmountOverflow) {
		t.Errorf("error = %v, want ErrAmountOverflow", err)
	}
	if _, err := TokenCost([2]int64{-1, 5}); err == nil {
		t.Error("negative tokens accepted")
	}
}

// FuzzParseUSDRoundTrip checks that every amount ParseUSD accepts formats
// back to the same number of micro-dollars.
func FuzzParseUSDRoundTrip(f *testing.F) {
	for _, seed := range []string{"0.04", "40", "0.000125", "123456.7"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		amount, err := ParseUSD(in)
		if err != nil {
			return
		}
		again, err := ParseUSD(amount.String())
		if err != nil {
			t.Fatalf("ParseUSD(%q) of formatted %q: %v", in, amount.String(), err)
		}
		if again != amount {
			t.Fatalf("round trip of %q: %d then %d", in, amount, again)
		}
	})
}

// FuzzTokenCostMatchesExact compares TokenCost with the same sum done on
// exact integers of the widest kind the inputs allow.
func FuzzTokenCostMatchesExact(f *testing.F) {
	f.Add(int64(7), int64(5_000_000), int64(1056), int64(30_000_000))
	f.Fuzz(func(t *testing.T, t1, p1, t2, p2 int64) {
		if t1 < 0 || p1 < 0 || t2 < 0 || p2 < 0 || t1 > 1e9 || t2 > 1e9 || p1 > 1e9 || p2 > 1e9 {
			return
		}
		got, err := TokenCost([2]int64{t1, p1}, [2]int64{t2, p2})
		if err != nil {
			t.Fatalf("TokenCost: %v", err)
		}
		total := t1*p1 + t2*p2 // at most 2e18, which fits in an int64
		want := MicroUSD((total + MicroPerUSD/2) / MicroPerUSD)
		if got != want {
			t.Fatalf("TokenCost(%d×%d + %d×%d) = %d, want %d", t1, p1, t2, p2, got, want)
		}
	})
}
