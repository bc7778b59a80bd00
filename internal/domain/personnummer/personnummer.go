// Package personnummer parses and validates Swedish personal identity numbers
// (personnummer) and co-ordination numbers (samordningsnummer).
package personnummer

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid personal identity number")

// Number is a validated personnummer or samordningsnummer.
type Number struct {
	birth        time.Time
	serial       string // three digits
	check        byte
	coordination bool
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalid, reason) }

// Parse accepts YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN, YYMMDDNNNN and YYMMDD+NNNN.
// Error messages never repeat the input: it is personal data.
func Parse(s string, now time.Time) (Number, error) {
	s = strings.TrimSpace(s)
	plus := false
	digits := make([]byte, 0, 12)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case (c == '-' || c == '+') && len(s)-i == 5:
			plus = c == '+'
		default:
			return Number{}, invalid("only digits and one separator before the last four digits are allowed")
		}
	}
	var year int
	switch len(digits) {
	case 12:
		if plus {
			return Number{}, invalid("'+' is only used with a two-digit year")
		}
		year = atoi(digits[:2]) * 100
		digits = digits[2:]
	case 10:
		year = -1
	default:
		return Number{}, invalid("must have 10 or 12 digits")
	}
	yy, mm, dd := atoi(digits[0:2]), atoi(digits[2:4]), atoi(digits[4:6])
	coordination := false
	if dd > 60 {
		coordination = true
		dd -= 60
	}
	if mm < 1 || mm > 12 {
		return Number{}, invalid(fmt.Sprintf("month %02d out of range", mm))
	}
	// Dates are compared at day precision, on the calendar date of now in its own location.
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if year < 0 {
		// The latest year ending in yy whose month and day are not after today, and
		// with '+' one century earlier still (so at least 100 years ago).
		year = today.Year() - mod(today.Year()-yy, 100)
		if year == today.Year() && (mm > int(today.Month()) || mm == int(today.Month()) && dd > today.Day()) {
			year -= 100
		}
		if plus {
			year -= 100
		}
	} else {
		year += yy
	}
	if year < 0 {
		return Number{}, invalid("birth year before year 0")
	}
	if dd < 1 || dd > daysIn(year, mm) {
		return Number{}, invalid(fmt.Sprintf("day out of range for month %02d", mm))
	}
	birth := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if birth.After(today) {
		return Number{}, invalid("birth date is in the future")
	}
	if luhn(digits[:9]) != int(digits[9]-'0') {
		return Number{}, invalid("check digit does not match")
	}
	return Number{birth: birth, serial: string(digits[6:9]), check: digits[9], coordination: coordination}, nil
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// mod is the non-negative remainder of a divided by b.
func mod(a, b int) int { return ((a % b) + b) % b }

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// luhn computes the check digit over YYMMDDNNN.
func luhn(d []byte) int {
	sum := 0
	for i, c := range d {
		v := int(c - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return (10 - sum%10) % 10
}

// CheckDigit returns the Luhn check digit for the nine digits YYMMDDNNN (for building
// valid test and demo numbers).
func CheckDigit(nineDigits string) int { return luhn([]byte(nineDigits)) }

// String is the canonical form YYYYMMDD-NNNN (with day+60 for co-ordination numbers).
func (n Number) String() string {
	day := n.birth.Day()
	if n.coordination {
		day += 60
	}
	return fmt.Sprintf("%04d%02d%02d-%s%c", n.birth.Year(), int(n.birth.Month()), day, n.serial, n.check)
}

// BirthDate is the date of birth at UTC midnight.
func (n Number) BirthDate() time.Time { return n.birth }

// IsCoordination reports whether this is a samordningsnummer.
func (n Number) IsCoordination() bool { return n.coordination }

// Gender follows the serial's last digit: even for women, odd for men.
func (n Number) Gender() string {
	if (n.serial[2]-'0')%2 == 0 {
		return "woman"
	}
	return "man"
}
