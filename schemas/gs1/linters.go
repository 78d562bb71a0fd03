package gs1

import (
	"fmt"
	"strings"
)

// A linter checks the content of one AI component (the Syntax Dictionary's "linter"
// names). It returns "" when the data is fine, else a message; pos is the 0-based offset
// inside the component of the first bad character (or of the bad part).
type linter func(v string) (pos int, msg string)

// linters implements the Syntax Dictionary content checks this package knows. Any other
// linter named by the dictionary is reported back as not checked, never silently skipped:
// iso3166*, iso4217 and packagetype need code lists that GS1 maintains outside the
// dictionary, and couponcode/couponposoffer are North-American coupon formats.
var linters map[string]linter

func init() {
	// Assigned in init because csum's error wording reuses CheckDigitError.
	linters = map[string]linter{
		"csum":          lintCsum,
		"csumalpha":     lintCsumAlpha,
		"gcppos1":       func(v string) (int, string) { return lintGCP(v, 0) },
		"gcppos2":       func(v string) (int, string) { return lintGCP(v, 1) },
		"yymmd0":        func(v string) (int, string) { return lintDate(v, false, true) },
		"yymmdd":        func(v string) (int, string) { return lintDate(v, false, false) },
		"yyyymmd0":      func(v string) (int, string) { return lintDate(v, true, true) },
		"yyyymmdd":      func(v string) (int, string) { return lintDate(v, true, false) },
		"hhmi":          lintHHMI,
		"hh":            func(v string) (int, string) { return lintRange(v, "hour", 0, 23) },
		"mi":            func(v string) (int, string) { return lintRange(v, "minute", 0, 59) },
		"ss":            func(v string) (int, string) { return lintRange(v, "second", 0, 59) },
		"nonzero":       lintNonZero,
		"zero":          func(v string) (int, string) { return lintOneOf(v, "value", "0") },
		"winding":       func(v string) (int, string) { return lintOneOf(v, "winding direction", "0", "1", "9") },
		"yesno":         func(v string) (int, string) { return lintOneOf(v, "value", "0", "1") },
		"hyphen":        func(v string) (int, string) { return lintOneOf(v, "value", "-") },
		"iso5218":       func(v string) (int, string) { return lintOneOf(v, "ISO/IEC 5218 sex code", "0", "1", "2", "9") },
		"pieceoftotal":  lintPieceOfTotal,
		"nozeroprefix":  lintNoZeroPrefix,
		"hasnondigit":   lintHasNonDigit,
		"latitude":      func(v string) (int, string) { return lintMaxNumber(v, "latitude", 1800000000) },
		"longitude":     func(v string) (int, string) { return lintMaxNumber(v, "longitude", 3600000000) },
		"posinseqslash": lintPosInSeqSlash,
		"importeridx":   lintImporterIdx,
		"mediatype":     lintMediaType,
		"pcenc":         lintPercentEncoding,
		"iban":          lintIBAN,
	}
}

func lintCsum(v string) (int, string) {
	if err := checkDigitErr(v); err != nil {
		return len(v) - 1, err.Error()
	}
	return 0, ""
}

// cset82Order and cset32Order give character values for the alphanumeric check pair
// (GS1 General Specifications 7.9.5).
const (
	cset82Order = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	cset32Order = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
)

// checkPairWeights are the first primes, one weight per data character counted from the
// right; 97 covers the longest AI value.
var checkPairWeights = func() []int {
	var p []int
	for n := 2; len(p) < 97; n++ {
		prime := true
		for _, q := range p {
			if q*q > n {
				break
			}
			if n%q == 0 {
				prime = false
				break
			}
		}
		if prime {
			p = append(p, n)
		}
	}
	return p
}()

// CheckPair returns the two GS1 alphanumeric check characters for data (CSET 82), as used
// by the GMN (AI 8013).
func CheckPair(data string) (string, error) {
	if len(data) > len(checkPairWeights) {
		return "", fmt.Errorf("gs1: check pair: %d characters, at most %d supported", len(data), len(checkPairWeights))
	}
	sum := 0
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(cset82Order, data[i])
		if v < 0 {
			return "", fmt.Errorf("gs1: check pair: character %q at position %d is not in CSET 82", data[i], i+1)
		}
		sum += v * checkPairWeights[len(data)-1-i]
	}
	sum %= 1021
	return string([]byte{cset32Order[sum>>5], cset32Order[sum&31]}), nil
}

func lintCsumAlpha(v string) (int, string) {
	if len(v) < 2 {
		return 0, "too short for a check character pair"
	}
	want, err := CheckPair(v[:len(v)-2])
	if err != nil {
		return 0, strings.TrimPrefix(err.Error(), "gs1: check pair: ")
	}
	if got := v[len(v)-2:]; got != want {
		return len(v) - 2, fmt.Sprintf("check character pair %s should be %s", got, want)
	}
	return 0, ""
}

// lintGCP checks that a GS1 Company Prefix can start at offset: without a prefix
// registry, all that is knowable is that its first four characters (the shortest GCP)
// are digits.
func lintGCP(v string, offset int) (int, string) {
	const minGCP = 4
	if len(v) < offset+minGCP {
		return offset, "too short to hold a GS1 Company Prefix"
	}
	for i := offset; i < offset+minGCP; i++ {
		if v[i] < '0' || v[i] > '9' {
			return i, fmt.Sprintf("character %q at position %d cannot be part of a GS1 Company Prefix", v[i], i+1)
		}
	}
	return 0, ""
}

func num2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func allDigits(s string) bool { return s != "" && firstNonDigit(s) == 0 }

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// lintDate checks YYMMDD / YYYYMMDD; dd00 allows day 00 ("day not specified", GS1
// General Specifications 3.4.x for the dates that permit it).
func lintDate(v string, fourDigitYear, dd00 bool) (int, string) {
	n := 6
	if fourDigitYear {
		n = 8
	}
	if len(v) != n || !allDigits(v) {
		return 0, fmt.Sprintf("date %q is not %d digits", v, n)
	}
	y := v[:n-4]
	year := 0
	for i := 0; i < len(y); i++ {
		year = year*10 + int(y[i]-'0')
	}
	if !fourDigitYear {
		// The GS1 century rule puts YY within -49..+50 years of today, which for years
		// 1951..2149 makes YY%4==0 exactly the leap years; YY=00 is 2000 until 2050. Using a
		// fixed reading keeps validation independent of the clock.
		year += 2000
	}
	mm := num2(v[n-4:])
	dd := num2(v[n-2:])
	if mm < 1 || mm > 12 {
		return n - 4, fmt.Sprintf("month %02d is not valid", mm)
	}
	if dd == 0 {
		if dd00 {
			return 0, ""
		}
		return n - 2, "day 00 is not valid"
	}
	max := monthDays[mm]
	if mm == 2 && !(year%4 == 0 && (year%100 != 0 || year%400 == 0)) {
		max = 28
	}
	if dd > max {
		return n - 2, fmt.Sprintf("day %02d is not valid", dd)
	}
	return 0, ""
}

func lintHHMI(v string) (int, string) {
	if len(v) != 4 || !allDigits(v) {
		return 0, fmt.Sprintf("time %q is not 4 digits", v)
	}
	if pos, msg := lintRange(v[:2], "hour", 0, 23); msg != "" {
		return pos, msg
	}
	if _, msg := lintRange(v[2:], "minute", 0, 59); msg != "" {
		return 2, msg
	}
	return 0, ""
}

func lintRange(v, what string, lo, hi int) (int, string) {
	if len(v) != 2 || !allDigits(v) {
		return 0, fmt.Sprintf("%s %q is not 2 digits", what, v)
	}
	if n := num2(v); n < lo || n > hi {
		return 0, fmt.Sprintf("%s %s is not valid", what, v)
	}
	return 0, ""
}

func lintNonZero(v string) (int, string) {
	if strings.Trim(v, "0") == "" {
		return 0, "must not be zero"
	}
	return 0, ""
}

func lintOneOf(v, what string, allowed ...string) (int, string) {
	for _, a := range allowed {
		if v == a {
			return 0, ""
		}
	}
	return 0, fmt.Sprintf("%s %q is not one of %s", what, v, strings.Join(allowed, ", "))
}

// lintPieceOfTotal checks NNTT: piece number NN of a total TT, neither zero, NN <= TT.
func lintPieceOfTotal(v string) (int, string) {
	if len(v) != 4 || !allDigits(v) {
		return 0, fmt.Sprintf("piece of total %q is not 4 digits", v)
	}
	piece, total := num2(v[:2]), num2(v[2:])
	switch {
	case piece == 0:
		return 0, "piece number 00 is not valid"
	case total == 0:
		return 2, "total 00 is not valid"
	case piece > total:
		return 0, fmt.Sprintf("piece number %02d exceeds total %02d", piece, total)
	}
	return 0, ""
}

func lintNoZeroPrefix(v string) (int, string) {
	if len(v) > 1 && v[0] == '0' {
		return 0, "must not start with 0"
	}
	return 0, ""
}

func lintHasNonDigit(v string) (int, string) {
	if firstNonDigit(v) == 0 {
		return 0, "must contain a non-digit character"
	}
	return 0, ""
}

func lintMaxNumber(v, what string, max int64) (int, string) {
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return i, fmt.Sprintf("%s: character %q at position %d is not a digit", what, v[i], i+1)
		}
		n = n*10 + int64(v[i]-'0')
	}
	if n > max {
		return 0, fmt.Sprintf("%s %s exceeds %d", what, v, max)
	}
	return 0, ""
}

// lintPosInSeqSlash checks "<pos>/<end>" with positive numbers without leading zeros.
func lintPosInSeqSlash(v string) (int, string) {
	p, e, ok := strings.Cut(v, "/")
	if !ok || !allDigits(p) || !allDigits(e) {
		return 0, fmt.Sprintf("%q is not <position>/<end>", v)
	}
	if p[0] == '0' {
		return 0, "position must not be zero or start with 0"
	}
	if e[0] == '0' {
		return len(p) + 1, "end must not be zero or start with 0"
	}
	if len(p) > len(e) || (len(p) == len(e) && p > e) {
		return 0, fmt.Sprintf("position %s exceeds end %s", p, e)
	}
	return 0, ""
}

// lintImporterIdx checks the one-character EU 2018/574 importer index.
func lintImporterIdx(v string) (int, string) {
	if len(v) != 1 {
		return 0, "importer index must be one character"
	}
	c := v[0]
	if c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
		return 0, ""
	}
	return 0, fmt.Sprintf("importer index %q is not valid", c)
}

// lintMediaType checks the AIDC media type (GS1 General Specifications table "AIDC media
// type values": 01-10 and 80-99 are assigned).
func lintMediaType(v string) (int, string) {
	if len(v) == 2 && allDigits(v) {
		if n := num2(v); (n >= 1 && n <= 10) || n >= 80 {
			return 0, ""
		}
	}
	return 0, fmt.Sprintf("AIDC media type %q is not assigned", v)
}

func lintPercentEncoding(v string) (int, string) {
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+2 >= len(v) {
			return i, fmt.Sprintf("truncated percent escape at position %d", i+1)
		}
		if _, ok := unhex(v[i+1]); !ok {
			return i, fmt.Sprintf("bad percent escape %q at position %d", v[i:i+3], i+1)
		}
		if _, ok := unhex(v[i+2]); !ok {
			return i, fmt.Sprintf("bad percent escape %q at position %d", v[i:i+3], i+1)
		}
		i += 2
	}
	return 0, ""
}

// lintIBAN checks the ISO 13616 structure and mod-97 check. Whether the country code is
// assigned, and the per-country length, need ISO lists and are not checked.
func lintIBAN(v string) (int, string) {
	if len(v) < 5 {
		return 0, "IBAN too short"
	}
	for i := 0; i < 2; i++ {
		if v[i] < 'A' || v[i] > 'Z' {
			return i, fmt.Sprintf("IBAN country code character %q at position %d is not A-Z", v[i], i+1)
		}
	}
	for i := 2; i < 4; i++ {
		if v[i] < '0' || v[i] > '9' {
			return i, fmt.Sprintf("IBAN check digit %q at position %d is not a digit", v[i], i+1)
		}
	}
	rem := 0
	add := func(c byte) {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		default:
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	for i := 4; i < len(v)+4; i++ {
		c := v[i%len(v)]
		if !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') {
			return i % len(v), fmt.Sprintf("IBAN character %q at position %d is not 0-9 or A-Z", c, i%len(v)+1)
		}
		add(c)
	}
	if rem != 1 {
		return 2, "IBAN check digits are not valid"
	}
	return 0, ""
}
