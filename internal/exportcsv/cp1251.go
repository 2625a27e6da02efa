package exportcsv

import (
	"encoding/binary"
	"io"
	"slices"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/encoding/charmap"
)

// cp1251 is each Windows-1251 byte as UTF-8 (one to three bytes), built
// once from x/text's table: decoding is then one lookup per byte, with
// runs of ASCII copied eight bytes at a time, instead of a general
// transformer (a third of the time of reading a bank registry went there).
// An entry is the UTF-8 bytes, little-endian, with their count in the top byte.
var cp1251 = func() (t [256]uint32) {
	for i := range t {
		b := utf8.AppendRune(nil, charmap.Windows1251.DecodeByte(byte(i)))
		t[i] = uint32(len(b)) << 24
		for j, c := range b {
			t[i] |= uint32(c) << (8 * j)
		}
	}
	return t
}()

// cp1251Reader decodes a Windows-1251 stream into UTF-8.
type cp1251Reader struct {
	r   io.Reader
	in  []byte
	buf []byte // decoded bytes, reused
	out []byte // the part of buf not yet returned
	err error
}

func newCP1251Reader(r io.Reader) *cp1251Reader {
	return &cp1251Reader{r: r, in: make([]byte, 32<<10)}
}

// minDirect is the smallest read decoded straight into the caller's
// buffer (a byte may take three there); smaller ones go through buf.
const minDirect = 4 << 10

func (c *cp1251Reader) Read(p []byte) (int, error) {
	if len(c.out) == 0 && len(p) >= 3*minDirect {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.in[:min(len(c.in), (len(p)-1)/3)])
		c.err = err
		if n == 0 {
			return 0, err
		}
		return decode1251(p, c.in[:n]), nil
	}
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.in)
		c.err = err
		c.buf = slices.Grow(c.buf[:0], 3*n+1)[:3*n+1]
		c.out = c.buf[:decode1251(c.buf, c.in[:n])]
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// decode1251 decodes src into dst, which has room for 3×len(src)+1
// bytes (a character is written as four bytes, of which one to three
// count), and returns how many bytes it wrote.
//
// The writes go through a pointer into dst, bounded once, here, rather
// than through a slice of it each, whose checks cost more than the
// writes: before the i-th byte of src is decoded, w ≤ 3i, so its four
// bytes (or a word's eight) end within 3×len(src)+1.
func decode1251(dst, src []byte) int {
	if len(dst) < 3*len(src)+1 {
		panic("exportcsv: decode1251 needs 3×len(src)+1 bytes")
	}
	d := unsafe.Pointer(unsafe.SliceData(dst))
	w := 0
	for ; len(src) >= 8; src = src[8:] {
		if x := binary.LittleEndian.Uint64(src); x&0x8080808080808080 == 0 {
			binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(d, w))[:], x)
			w += 8
			continue
		}
		// Cyrillic comes in words: the rest of this one byte by byte,
		// without asking again whether it is ASCII.
		for _, c := range src[:8] {
			e := cp1251[c]
			binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(d, w))[:], e)
			w += int(e >> 24)
		}
	}
	for _, c := range src {
		e := cp1251[c]
		binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(d, w))[:], e)
		w += int(e >> 24)
	}
	return w
}
