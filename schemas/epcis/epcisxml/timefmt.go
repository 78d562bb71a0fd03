package epcisxml

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// zones caches fixed zones by offset in seconds so that two events written in the same
// offset share one *time.Location, and equal times compare equal with reflect.DeepEqual.
var zones sync.Map // int -> *time.Location

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}

var errDateTime = errors.New("not an xsd:dateTime (want YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])")

// parseDateTime parses an xsd:dateTime. hasZone reports whether the text carried a zone;
// when it does not, the time is read in def (EPCIS 1.2 allows zoneless times, 2.0 does not).
// It is hand-written because time.Parse would pick time.Local for offsets that match the
// machine's zone, making decoded values depend on where the hub runs.
func parseDateTime(s string, def *time.Location) (t time.Time, hasZone bool, err error) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false, errDateTime
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false, errDateTime
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false, errors.New("date or time out of range")
	}
	i := 19
	nsec := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		scale := 100000000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if scale > 0 {
				nsec += int(s[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start {
			return time.Time{}, false, errDateTime
		}
	}
	loc := def
	switch {
	case i == len(s):
	case s[i] == 'Z' || s[i] == 'z':
		if i+1 != len(s) {
			return time.Time{}, false, errDateTime
		}
		loc, hasZone = time.UTC, true
	case s[i] == '+' || s[i] == '-':
		off, err := parseOffset(s[i:])
		if err != nil {
			return time.Time{}, false, err
		}
		loc, hasZone = fixedZone(off), true
	default:
		return time.Time{}, false, errDateTime
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), hasZone, nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseOffset parses a time-zone offset "+hh:mm" / "-hh:mm" (range ±14:00, as in
// xsd:dateTime) and returns it in seconds.
func parseOffset(s string) (int, error) {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, errors.New("not a time-zone offset (want ±hh:mm)")
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[4:6])
	if err1 != nil || err2 != nil || s[1] == '+' || s[4] == '+' || s[1] == '-' || s[4] == '-' {
		return 0, errors.New("not a time-zone offset (want ±hh:mm)")
	}
	if m > 59 || h > 14 || (h == 14 && m != 0) {
		return 0, errors.New("time-zone offset out of range (±14:00)")
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, nil
}

// formatDateTime writes t as xsd:dateTime with its own offset ("Z" for UTC), fractional
// seconds only as far as needed.
func appendDateTime(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, time.RFC3339Nano)
}
