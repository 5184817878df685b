package syntax

import (
	"bytes"
	"time"
)

// minFraction is the number of fraction digits every canonical
// generalizedTime carries, so that canonical forms sort bytewise.
const minFraction = 9

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func atoi2(b []byte) int { return int(b[0]-'0')*10 + int(b[1]-'0') }

func daysIn(month, year int) int {
	switch month {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

// gtime is a parsed generalizedTime: broken-down fields as written, the
// fraction of the last unit, and the zone offset in minutes.
type gtime struct {
	year, month, day, hour, min, sec int
	unit                             int    // seconds in the unit the fraction applies to
	frac                             []byte // fraction digits (may be empty)
	offset                           int    // minutes east of UTC
}

// parseGeneralizedTime parses RFC 4517 section 3.3.13 GeneralizedTime:
// YYYYMMDDHH[MM[SS]][(.|,)frac](Z|(+|-)HH[MM]), with the day checked
// against the month (leap years included), as slapd does. Second 60
// (leap second) is accepted.
func parseGeneralizedTime(v []byte) (gtime, error) {
	var t gtime
	bad := func(why string) (gtime, error) { return gtime{}, invalid("generalizedTime", "%s", why) }
	if len(v) < 11 || !digits(v[:10]) {
		return bad("expected YYYYMMDDHH")
	}
	t.year = atoi2(v[0:2])*100 + atoi2(v[2:4])
	t.month, t.day, t.hour = atoi2(v[4:6]), atoi2(v[6:8]), atoi2(v[8:10])
	if t.month < 1 || t.month > 12 {
		return bad("month out of range")
	}
	if t.day < 1 || t.day > daysIn(t.month, t.year) {
		return bad("day out of range")
	}
	if t.hour > 23 {
		return bad("hour out of range")
	}
	rest := v[10:]
	t.unit = 3600
	if len(rest) >= 2 && digits(rest[:2]) {
		t.min = atoi2(rest)
		if t.min > 59 {
			return bad("minute out of range")
		}
		t.unit = 60
		rest = rest[2:]
		if len(rest) >= 2 && digits(rest[:2]) {
			t.sec = atoi2(rest)
			if t.sec > 60 {
				return bad("second out of range")
			}
			t.unit = 1
			rest = rest[2:]
		}
	}
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return bad("empty fraction")
		}
		t.frac = rest[1:n]
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 3 || len(rest) == 5:
		if (rest[0] != '+' && rest[0] != '-') || !digits(rest[1:]) {
			return bad("bad time zone")
		}
		h, m := atoi2(rest[1:3]), 0
		if len(rest) == 5 {
			m = atoi2(rest[3:5])
		}
		if h > 23 || m > 59 {
			return bad("time zone offset out of range")
		}
		t.offset = h*60 + m
		if rest[0] == '-' {
			t.offset = -t.offset
		}
	default:
		return bad("missing or bad time zone")
	}
	return t, nil
}

func validateGeneralizedTime(v []byte) error {
	_, err := parseGeneralizedTime(v)
	return err
}

// mulDigits returns the decimal digits of d*m (d a digit string, m small).
func mulDigits(d []byte, m int) []byte {
	out := make([]byte, len(d)+5)
	carry := 0
	j := len(out)
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i]-'0')*m + carry
		j--
		out[j] = byte('0' + x%10)
		carry = x / 10
	}
	for carry > 0 {
		j--
		out[j] = byte('0' + carry%10)
		carry /= 10
	}
	for j > 0 {
		j--
		out[j] = '0'
	}
	return out
}

// appendTimeCanonical appends the canonical form of a generalizedTime:
// the instant in UTC as YYYYMMDDHHMMSS.fffffffff[f...]Z, with at least nine
// fraction digits and no trailing zeros beyond the ninth. A leap second
// (SS=60) counts as the first second of the next minute.
func appendTimeCanonical(dst, v []byte) ([]byte, error) {
	t, err := parseGeneralizedTime(v)
	if err != nil {
		return dst, err
	}
	// fraction of the unit, turned into whole seconds + fraction of a second
	extra := 0
	var sfrac []byte
	if len(t.frac) > 0 {
		p := mulDigits(t.frac, t.unit) // = frac * unit * 10^len(frac)
		whole := p[:len(p)-len(t.frac)]
		sfrac = p[len(p)-len(t.frac):]
		for _, c := range whole {
			extra = extra*10 + int(c-'0')
		}
	}
	tm := time.Date(t.year, time.Month(t.month), t.day, t.hour, t.min, t.sec, 0, time.UTC)
	tm = tm.Add(time.Duration(extra)*time.Second - time.Duration(t.offset)*time.Minute)
	if tm.Year() < 0 || tm.Year() > 9999 {
		return dst, invalid("generalizedTime", "out of range in UTC")
	}
	dst = tm.AppendFormat(dst, "20060102150405")
	dst = append(dst, '.')
	sfrac = bytes.TrimRight(sfrac, "0")
	dst = append(dst, sfrac...)
	for i := len(sfrac); i < minFraction; i++ {
		dst = append(dst, '0')
	}
	return append(dst, 'Z'), nil
}

// compareTime orders canonical generalizedTime forms.
func compareTime(a, b []byte) int {
	return bytes.Compare(bytes.TrimSuffix(a, []byte("Z")), bytes.TrimSuffix(b, []byte("Z")))
}

// validateUTCTime checks RFC 4517 UTCTime: YYMMDDHHMM[SS](Z|(+|-)HHMM).
func validateUTCTime(v []byte) error {
	if len(v) < 11 || !digits(v[:10]) {
		return invalid("UTCTime", "expected YYMMDDHHMM")
	}
	g := append([]byte("19"), v...)
	if v[0] < '5' {
		g[0], g[1] = '2', '0'
	}
	_, err := parseGeneralizedTime(g)
	return err
}
