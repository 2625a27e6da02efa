package exportcsv

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/charmap"

	"github.com/gispayments/gis-payments/internal/xmltext"
)

// The word-at-a-time check must say what a byte-by-byte one says, with
// the odd byte at any place of a word or of the tail.
func TestPrintableAgreesWithBytewise(t *testing.T) {
	bytewise := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x80 {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte{'7'}, n)
				b[at] = byte(c)
				if got, want := printable(string(b)), bytewise(string(b)); got != want {
					t.Fatalf("printable(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	if !printable(strings.Repeat(" ~\x7f", 9)) {
		t.Error("space, tilde and DEL are printable as the checks count them")
	}
}

func TestTrimAgreesWithTrimSpace(t *testing.T) {
	cases := []string{"", " ", "a", " a", "a ", "\ta\n", "\u00a0a", "a\u00a0", "Лицевой", " Ж ", "\u2028x\u3000", "x y",
		"Оплата ЖКУ", "Ж", "ж\u0085", "\u0085ж", "ӿ", "\u0500x\u0500", "\xd0", "\xd0\xd0", "\x80\xd0", "\xd0 ", " \xd0\x80", "\xd3\xbf \xd4\x80"}
	for c := range 256 {
		for _, d := range []byte{0x80, 0xa0, 0xbf, 0xc0, ' ', 'x'} {
			cases = append(cases, string([]byte{byte(c), d}), string([]byte{d, byte(c)}), "x"+string([]byte{byte(c), d}), string([]byte{byte(c), d})+"x")
		}
	}
	for r := rune(0x80); r < 0x800; r++ {
		cases = append(cases, string(r)+"x", "x"+string(r), string(r))
	}
	for _, s := range cases {
		if got, want := trim(s), strings.TrimSpace(s); got != want {
			t.Errorf("trim(%q) = %q, want %q", s, got, want)
		}
	}
}

// Decoding must give x/text's UTF-8 for every byte, whatever sizes of
// reads the caller asks for (bufio's buffer may have little room left).
func TestCP1251ReaderAgreesWithXText(t *testing.T) {
	var src []byte
	for i := 0; i < 40; i++ {
		for c := 0; c < 256; c++ {
			src = append(src, byte(c))
			if c%(i+1) == 0 {
				src = append(src, "ascii run "...)
			}
		}
	}
	want, err := charmap.Windows1251.NewDecoder().Bytes(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 3*minDirect - 1, 3 * minDirect, 64 << 10} {
		r := newCP1251Reader(iotest.HalfReader(bytes.NewReader(src)))
		var got []byte
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("reads of %d bytes: decoded text differs from x/text's", size)
		}
	}
}

// Values share chunks of text: those of earlier records must stay as they
// were read while later records fill new chunks, grow a chunk (a record
// longer than a chunk's spare room) or are unescaped in place.
func TestValuesOutliveLaterRecords(t *testing.T) {
	var src strings.Builder
	var want [][]string
	src.WriteString("a;b;c\n")
	for i := range 3000 {
		long := strings.Repeat("x", i%7)
		if i == 1500 {
			long = strings.Repeat("long", 2000) // 8 000 bytes
		}
		quoted := fmt.Sprintf("say \"%d\"", i)
		if i%100 == 0 {
			quoted += "\nover two lines"
		}
		fmt.Fprintf(&src, "%d;\"%s\";%s\n", i, strings.ReplaceAll(quoted, `"`, `""`), long)
		want = append(want, []string{strconv.Itoa(i), quoted, long})
	}
	s := newScanner(strings.NewReader(src.String()), ';')
	if _, err := s.Read(); err != nil {
		t.Fatal(err)
	}
	s.width = 3
	var got [][]string
	for {
		rec, err := s.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, slices.Clone(rec))
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		for i := range min(len(got), len(want)) {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("record %d: %q, want %q", i, got[i], want[i])
			}
		}
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
}

// oneLine says what xmltext.Line says of any valid UTF-8: ASCII, Cyrillic,
// C0 controls, line breaks, U+FFFD, U+FFFE, U+FFFF and four-byte runes,
// at any place of a word or of the tail.
func TestLineAgreesWithXMLTextLine(t *testing.T) {
	odd := []string{"\x00", "\t", "\r\n", "\n", "\x1f", " ", "\x7f", "ж", "\u00a0", "\u07ff", "\u0800", "\ufffd", "\ufffe", "\uffff", "😀"}
	for n := 0; n <= 17; n++ {
		for at := 0; at <= n; at++ {
			for _, o := range odd {
				for _, filler := range []string{"a", "Я"} {
					s := strings.Repeat(filler, at) + o + strings.Repeat(filler, n-at)
					if got, want := oneLine(s), xmltext.Line(s); got != want {
						t.Fatalf("oneLine(%q) = %q, want %q", s, got, want)
					}
				}
			}
		}
	}
}
