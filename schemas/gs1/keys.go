package gs1

import (
	"fmt"
)

// GTIN is a Global Trade Item Number normalised to 14 digits with a valid check digit.
// GTIN-8/12/13 are held left-padded with zeros, as GS1 element strings carry them.
// An NTIN (national trade item number) has the same form and is held as a GTIN.
type GTIN string

// GLN is a Global Location Number: 13 digits with a valid check digit.
type GLN string

// CheckDigit returns the GS1 mod-10 check digit (as an ASCII digit) for digits, which
// must not include the check digit itself. It works for any GS1 key length.
func CheckDigit(digits string) (byte, error) {
	if digits == "" {
		return 0, fmt.Errorf("gs1: check digit of empty string")
	}
	sum := 0
	// Weights run 3,1,3,1... from the rightmost data digit, whatever the key length.
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("gs1: check digit: character %q at position %d is not a digit", c, i+1)
		}
		d := int(c - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), nil
}

// checkDigitErr verifies the last digit of a whole key and names what is wrong.
func checkDigitErr(key string) error {
	if len(key) < 2 {
		return fmt.Errorf("too short for a check digit")
	}
	want, err := CheckDigit(key[:len(key)-1])
	if err != nil {
		return err
	}
	if got := key[len(key)-1]; got != want {
		return &CheckDigitError{Got: got, Want: want}
	}
	return nil
}

// CheckDigitError reports a key whose final digit is not the GS1 mod-10 check digit.
type CheckDigitError struct {
	Got, Want byte
}

func (e *CheckDigitError) Error() string {
	return fmt.Sprintf("check digit %c should be %c", e.Got, e.Want)
}

// firstNonDigit reports the 1-based position of the first non-digit, or 0 if there is none.
func firstNonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i + 1
		}
	}
	return 0
}

// checkKey validates a numeric key of exactly n digits with its check digit.
func checkKey(s string, n int) error {
	if len(s) != n {
		return fmt.Errorf("length %d, want %d digits", len(s), n)
	}
	if p := firstNonDigit(s); p != 0 {
		return fmt.Errorf("character %q at position %d is not a digit", s[p-1], p)
	}
	return checkDigitErr(s)
}

// ParseGTIN accepts a GTIN-8, -12, -13 or -14 and returns it normalised to 14 digits.
func ParseGTIN(s string) (GTIN, error) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", fmt.Errorf("gs1: GTIN %q: length %d, want 8, 12, 13 or 14 digits", s, len(s))
	}
	if p := firstNonDigit(s); p != 0 {
		return "", fmt.Errorf("gs1: GTIN %q: character %q at position %d is not a digit", s, s[p-1], p)
	}
	if err := checkDigitErr(s); err != nil {
		return "", fmt.Errorf("gs1: GTIN %q: %w", s, err)
	}
	const zeros = "000000"
	return GTIN(zeros[:14-len(s)] + s), nil
}

// String returns the 14 digits.
func (g GTIN) String() string { return string(g) }

// Short returns the GTIN in its shortest form (GTIN-8, -12 or -13) when the leading zeros
// allow it, else the 14 digits. GTIN-8 is only chosen for six leading zeros, which is how
// GTIN-8s are embedded in GTIN-14.
func (g GTIN) Short() string {
	s := string(g)
	switch {
	case len(s) == 14 && s[:6] == "000000":
		return s[6:]
	case len(s) == 14 && s[:2] == "00":
		return s[2:]
	case len(s) == 14 && s[0] == '0':
		return s[1:]
	}
	return s
}

// ParseGLN accepts a 13-digit GLN with a valid check digit.
func ParseGLN(s string) (GLN, error) {
	if err := checkKey(s, 13); err != nil {
		return "", fmt.Errorf("gs1: GLN %q: %w", s, err)
	}
	return GLN(s), nil
}

// String returns the 13 digits.
func (g GLN) String() string { return string(g) }

// SSCC is a Serial Shipping Container Code. Value is the 18-digit key with a valid check
// digit; PrefixLen is the GS1 Company Prefix length (6..12) when known, else 0.
type SSCC struct {
	Value     string
	PrefixLen int
}

// ParseSSCC accepts an 18-digit SSCC with a valid check digit. PrefixLen is left 0: the
// company prefix length is not derivable from the digits.
func ParseSSCC(s string) (SSCC, error) {
	if err := checkKey(s, 18); err != nil {
		return SSCC{}, fmt.Errorf("gs1: SSCC %q: %w", s, err)
	}
	return SSCC{Value: s}, nil
}
