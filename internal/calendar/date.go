// Package civil holds calendar dates (no time of day, no zone) and the
// Europe/Moscow clock the project's dates are reckoned in.
package calendar

import (
	"errors"
	"time"
)

// Date is a calendar date stored as days since 1970-01-01; the zero value is
// 1970-01-01, so use Valid on dates that may be missing.
type Date int32

var ErrDate = errors.New("not a date (want YYYY-MM-DD or DD.MM.YYYY)")

// Moscow is the zone business dates are reckoned in (UTC+3, no DST since 2014).
var Moscow = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Moscow"); err == nil {
		return loc
	}
	return time.FixedZone("MSK", 3*60*60)
}()

// ParseDate accepts YYYY-MM-DD and DD.MM.YYYY and checks the day exists.
func ParseDate(s string) (Date, error) {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	if len(s) != 10 {
		return 0, ErrDate
	}
	var y, m, d int
	var ok bool
	switch {
	case s[4] == '-' && s[7] == '-':
		y, ok = digits(s[0:4])
		m, ok = digitsAnd(ok, s[5:7])
		d, ok = digitsAnd(ok, s[8:10])
	case s[2] == '.' && s[5] == '.':
		d, ok = digits(s[0:2])
		m, ok = digitsAnd(ok, s[3:5])
		y, ok = digitsAnd(ok, s[6:10])
	}
	if !ok || y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, ErrDate
	}
	return daysFromCivil(y, m, d), nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func digitsAnd(ok bool, s string) (int, bool) {
	n, ok2 := digits(s)
	return n, ok && ok2
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is H. Hinnant's days_from_civil: parsing millions of export
// dates this way costs a fraction of time.Date.
func daysFromCivil(y, m, d int) Date {
	if m <= 2 {
		y--
	}
	era := y / 400 // y ≥ 1900 here, so no negative-era correction
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

// FromYMD builds a date from its parts (out-of-range parts normalise, as in time.Date).
func FromYMD(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// FromTime takes the calendar date of t in Moscow.
func FromTime(t time.Time) Date {
	y, m, d := t.In(Moscow).Date()
	return FromYMD(y, m, d)
}

// Time is midnight UTC of the date, for drivers that want a time.Time.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String is YYYY-MM-DD.
func (d Date) String() string { return string(d.AppendText(nil)) }

// AppendText appends the String form to b without allocating a string.
func (d Date) AppendText(b []byte) []byte { return d.Time().AppendFormat(b, time.DateOnly) }

// AddDays moves the date by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// TimestampLayout is how GIS ZhKKh messages write an xs:dateTime:
// milliseconds and the zone offset.
const TimestampLayout = "2006-01-02T15:04:05.000-07:00"

// Timestamp writes t as GIS messages carry it, in Moscow time.
func Timestamp(t time.Time) string { return t.In(Moscow).Format(TimestampLayout) }

// ParseTimestamp reads an xs:dateTime; one without a zone offset is GIS's
// own local time, Moscow.
func ParseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, Moscow)
}
