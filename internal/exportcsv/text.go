package exportcsv

import (
	"strings"
	"unicode/utf8"

	"github.com/gispayments/gis-payments/internal/xmltext"
)

// printable reports whether s is printable ASCII (0x20–0x7F), a word at
// a time, the tail as a last word that overlaps the one before: such a
// value is valid UTF-8, holds no NUL and nothing XML refuses, so most
// values skip every other text check.
func printable(s string) bool {
	// A byte below 0x20 borrows into its high bit; one of 0x80 and above
	// has it set already.
	const lows, highs = 0x2020202020202020, 0x8080808080808080
	switch n := len(s); {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			if x := word(s[i:]); ((x-lows)|x)&highs != 0 {
				return false
			}
		}
		x := word(s[n-8:])
		return ((x-lows)|x)&highs == 0
	case n >= 4:
		x := uint64(half(s))<<32 | uint64(half(s[n-4:]))
		return ((x-lows)|x)&highs == 0
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// word is the first eight bytes of s, little-endian; half the first four.
func word(s string) uint64 {
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func half(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// trim is strings.TrimSpace with a fast path for the usual value that
// starts and ends with a printable ASCII or a Cyrillic character.
func trim(s string) string {
	if n := len(s); n == 0 || solidStart(s) && solidEnd(s) {
		return s
	}
	return strings.TrimSpace(s)
}

// solidStart and solidEnd report whether s starts (ends) with a character
// that is not white space for certain: a printable ASCII one, or a
// two-byte sequence led by 0xD0–0xD3 (U+0400–U+04FF, Cyrillic, where
// Unicode has no white space).
func solidStart(s string) bool {
	c := s[0]
	return c > ' ' && c < utf8.RuneSelf || len(s) > 1 && cyrillicLead(c) && continuation(s[1])
}

func solidEnd(s string) bool {
	n := len(s)
	c := s[n-1]
	return c > ' ' && c < utf8.RuneSelf || n > 1 && cyrillicLead(s[n-2]) && continuation(c)
}

func cyrillicLead(c byte) bool { return c >= 0xD0 && c <= 0xD3 }

func continuation(c byte) bool { return c&0xC0 == 0x80 }

// oneLine is xmltext.Line for text known to be valid UTF-8 (a Windows-1251
// file's decoded text, or a UTF-8 file's value, which checkShape has
// validated). Such text can only be unsafe in a C0 control or in
// U+FFFE/U+FFFF, which are three-byte sequences, so text without bytes
// below 0x20 or from 0xE0 up (ASCII and Cyrillic, the usual purpose) is
// returned after a word-at-a-time look, without Line's rune by rune one.
func oneLine(s string) string {
	if narrow(s) {
		return s
	}
	return xmltext.Line(s)
}

// narrow reports whether s has no byte below 0x20 and none from 0xE0 up,
// eight bytes at a time, the tail as a last word overlapping the one before.
func narrow(s string) bool {
	const lows, highs = 0x2020202020202020, 0x8080808080808080
	// A byte below 0x20 borrows into its high bit, which it did not have;
	// a byte from 0xE0 up has its three top bits set.
	bad := func(x uint64) bool { return (x-lows)&^x&highs|x&(x<<1)&(x<<2)&highs != 0 }
	n := len(s)
	if n < 8 {
		for i := 0; i < n; i++ {
			if c := s[i]; c < 0x20 || c >= 0xE0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if bad(word(s[i:])) {
			return false
		}
	}
	return !bad(word(s[n-8:]))
}
