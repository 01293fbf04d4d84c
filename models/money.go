package models

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// MicroUSD is an amount of money in millionths of a US dollar. Every amount
// Tally stores, adds or compares is a MicroUSD, so sums are exact on every
// database; dollars appear only when an amount is shown.
type MicroUSD int64

// MicroPerUSD is the number of micro-dollars in one dollar.
const MicroPerUSD = 1_000_000

// ErrInvalidAmount is returned by ParseUSD for text that is not a plain
// dollar amount.
var ErrInvalidAmount = errors.New("invalid dollar amount")

// ParseUSD reads a dollar amount such as "40", "0.04", "$1.5" or
// "0.000125" without going through a float. More than six decimal places,
// signs, exponents and amounts over a trillion dollars are rejected.
func ParseUSD(text string) (MicroUSD, error) {
	s := strings.TrimSpace(text)
	s = strings.TrimPrefix(s, "$")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, text)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("%w: %q has more than six decimal places", ErrInvalidAmount, text)
	}
	if len(whole) > 12 {
		return 0, fmt.Errorf("%w: %q is too large", ErrInvalidAmount, text)
	}
	var dollars int64
	if whole != "" {
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, text)
		}
		dollars = n
	}
	micros := int64(0)
	if frac != "" {
		padded := frac + strings.Repeat("0", 6-len(frac))
		n, err := strconv.ParseInt(padded, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, text)
		}
		micros = n
	}
	return MicroUSD(dollars*MicroPerUSD + micros), nil
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// String formats the amount in dollars with at least two decimal places
// and as many more as it needs, up to six: "$0.04", "$0.000125", "-$1.50".
func (m MicroUSD) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return "-$9223372036854.775808"
		}
		v = -v
	}
	frac := fmt.Sprintf("%06d", v%MicroPerUSD)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return fmt.Sprintf("%s$%d.%s", sign, v/MicroPerUSD, frac)
}

// ErrAmountOverflow is returned when a computed amount does not fit in an
// int64 number of micro-dollars.
var ErrAmountOverflow = errors.New("amount overflows int64 micro-dollars")

// TokenCost returns tokens × pricePerMillion ÷ 1,000,000 summed over the
// pairs, rounded half up to a whole micro-dollar once, at the end. Prices
// are micro-dollars per million tokens. Negative inputs are rejected.
func TokenCost(pairs ...[2]int64) (MicroUSD, error) {
	var hi, lo uint64
	for _, p := range pairs {
		if p[0] < 0 || p[1] < 0 {
			return 0, fmt.Errorf("token cost: negative tokens or price %d × %d", p[0], p[1])
		}
		h, l := bits.Mul64(uint64(p[0]), uint64(p[1]))
		var carry uint64
		lo, carry = bits.Add64(lo, l, 0)
		hi, _ = bits.Add64(hi, h, carry)
	}
	// Add half of the divisor before dividing, so the division rounds half up.
	var carry uint64
	lo, carry = bits.Add64(lo, MicroPerUSD/2, 0)
	hi += carry
	if hi >= MicroPerUSD {
		return 0, ErrAmountOverflow
	}
	q, _ := bits.Div64(hi, lo, MicroPerUSD)
	if q > math.MaxInt64 {
		return 0, ErrAmountOverflow
	}
	return MicroUSD(q), nil
}
