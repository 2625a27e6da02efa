package exportcsv

import (
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// cp1251 is each Windows-1251 byte as UTF-8, built once from x/text's
// table: decoding is then one lookup per byte and a copy, with ASCII
// passed through, instead of a general transformer (a third of the time
// of reading a bank registry went there).
var cp1251 = func() (t [256][]byte) {
	for i := range t {
		r := charmap.Windows1251.DecodeByte(byte(i))
		t[i] = utf8.AppendRune(nil, r)
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

func (c *cp1251Reader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := c.r.Read(c.in)
		c.err = err
		buf := c.buf[:0]
		for _, b := range c.in[:n] {
			if b < utf8.RuneSelf {
				buf = append(buf, b)
			} else {
				buf = append(buf, cp1251[b]...)
			}
		}
		c.buf, c.out = buf, buf
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
