// Package xmltext keeps text that goes into signed XML the same on both
// sides of the wire. The signer canonicalizes the tree it builds (a CR is
// written "&#xD;"), while the serializer writes CR raw and replaces the
// characters XML 1.0 does not allow, and the receiver's parser turns CR
// and CRLF into LF: GIS then computes another digest and refuses the whole
// package. Ingest (internal/exportcsv) and the request builder
// (internal/gismessage) share these two functions.
package xmltext

import "unicode/utf8"

// Unsafe returns the byte index and the rune of the first character of s
// that does not survive a round trip through XML as itself, or -1: a line
// break or TAB (no GIS field here is multi-line, and a parser rewrites CR),
// any other C0 control, U+FFFE, U+FFFF (XML 1.0 § 2.2 Char), or a byte
// that is not UTF-8 (reported as utf8.RuneError). Unpaired surrogates
// cannot be encoded in valid UTF-8.
func Unsafe(s string) (int, rune) {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 {
				return i, rune(c)
			}
			i++
			continue
		}
		// A two-byte sequence (Cyrillic, most of what is not ASCII here)
		// is a character from U+0080 to U+07FF: never unsafe.
		if c := s[i]; c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafe(r, size) {
			return i, r
		}
		i += size
	}
	return -1, 0
}

func unsafe(r rune, size int) bool {
	return r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r == utf8.RuneError && size == 1)
}

// Line makes s one line of safe text: each line break (CRLF, CR, LF), TAB
// and unsafe character becomes one space. Safe text comes back as is,
// without allocating.
func Line(s string) string {
	i, _ := Unsafe(s)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			b = append(b, ' ')
			size = 2
		case unsafe(r, size):
			b = append(b, ' ')
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// AppendEscaped appends s to *out escaped as canonical XML writes text
// (attr false) or an attribute value (xml-c14n §2.3): the form a signer
// hashes, and one every parser reads back as s. It appends in place, which
// stores only the length where an assignment of the grown slice would
// store the pointer too, under the GC's write barrier.
func AppendEscaped[T string | []byte](out *[]byte, s T, attr bool) {
	mask := escapeText
	if attr {
		mask = escapeAttr
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if escapes[s[i]]&mask == 0 {
			continue
		}
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '\r':
			esc = "&#xD;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		}
		*out = append(*out, s[start:i]...)
		*out = append(*out, esc...)
		start = i + 1
	}
	*out = append(*out, s[start:]...)
}

// escapes marks the bytes AppendEscaped replaces in text and in attribute
// values.
var escapes = [256]uint8{'&': escapeText | escapeAttr, '<': escapeText | escapeAttr, '\r': escapeText | escapeAttr,
	'>': escapeText, '"': escapeAttr, '\t': escapeAttr, '\n': escapeAttr}

const (
	escapeText uint8 = 1 << iota
	escapeAttr
)
