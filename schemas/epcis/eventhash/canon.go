package eventhash

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/serialhub/serialhub/schemas/epcis"
)

// canonTime renders a timestamp in UTC at millisecond precision, rounding half up
// ("2020-03-04T10:00:30.000Z").
func canonTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// canonFloat renders a number as the reference implementation of the algorithm does (the
// canonical form the vectors use): integral values as integers with all their digits,
// others in the shortest form that reads back as the same double, with an exponent only
// below 1e-4.
func canonFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if f == math.Trunc(f) {
		if math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return new(big.Float).SetFloat64(f).Text('f', 0)
	}
	if math.Abs(f) < 1e-4 {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// numeric reports whether s is a decimal number (optionally signed, with fraction and
// exponent) and returns its value.
func numeric(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// cbvURNPrefix starts the URN form of every CBV vocabulary value.
const cbvURNPrefix = "urn:epcglobal:cbv:"

var allVocabs = [...]epcis.Vocab{
	epcis.VocabBizStep, epcis.VocabDisposition, epcis.VocabBizTransactionType,
	epcis.VocabSourceDestType, epcis.VocabErrorReason, epcis.VocabComponent,
}

// canonValue normalises any text value: trimmed; CBV URNs as web URIs; numbers in canonical
// form; GS1 identifiers as canonical Digital Link URIs. Anything else is kept as written.
// (CURIEs such as gs1:Temperature expand only in vocabulary fields, see canonVocab.)
func canonValue(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if strings.HasPrefix(s, cbvURNPrefix) {
		for _, v := range allVocabs {
			if w := v.WebURI(s); w != s {
				return w
			}
		}
		return s
	}
	if c := s[0]; c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9' {
		if f, ok := numeric(s); ok {
			return canonFloat(f)
		}
	}
	if dl, ok := canonicalDL(s); ok {
		return dl
	}
	return s
}

// canonVocab normalises a vocabulary value to its web URI, then like any value.
func canonVocab(v epcis.Vocab, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if v == epcis.VocabMeasurementType || v == epcis.VocabSensorAlertType {
		if !strings.Contains(s, ":") {
			// A bare term is a GS1 Web Vocabulary term, listed or not (see epcisjson).
			return epcis.GS1VocWeb + s
		}
	}
	return canonValue(v.WebURI(s))
}
