package xades

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/gispayments/gis-payments/internal/xmltext"
)

// streamC14N writes the canonical form (without comments) of one element
// of a document an xmlScanner reads, from its tokens: exclusive XML
// Canonicalization 1.0, or Canonical XML 1.0 (inclusive) of the element as
// a document subset with everything under it. The caller feeds it the
// tokens from the element's start to its end, leaving out any subtree (the
// enveloped signature). Output goes to dst in chunks of about chunk
// bytes, so the canonical form of a large element is never held whole.
type streamC14N struct {
	dst       io.Writer
	exclusive bool
	out       []byte
	chunk     int
	depth     int // output elements open
	// Declarations as their indices in the scanner's ns (-1 the empty
	// default namespace), valid while the elements that have them in
	// scope are open; no strings to copy.
	rendered []int // declarations written by open output elements
	marks    []int // len(rendered) at each open element
	decls    []int // scratch: the current element's declarations to write
	order    []int // scratch: its attributes in canonical order
}

func newStreamC14N(dst io.Writer, exclusive bool, chunk int) *streamC14N {
	return &streamC14N{dst: dst, exclusive: exclusive, out: make([]byte, 0, 2*chunk), chunk: chunk}
}

// start writes the start tag of the element s has just read.
func (c *streamC14N) start(s *xmlScanner) {
	c.marks = append(c.marks, len(c.rendered))
	c.decls = c.decls[:0]
	switch {
	case c.exclusive:
		// xml-exc-c14n §3: the namespaces visibly used, by the element's
		// prefix (or the default) and by its attributes' prefixes.
		c.consider(s, s.bound)
		for i := range s.attrs {
			if s.attrs[i].name.prefix != nil {
				c.consider(s, s.attrs[i].bound)
			}
		}
	case c.depth == 0:
		// xml-c14n §2.3: the subset's apex carries every namespace in scope
		// (the innermost declaration of each prefix).
		for i := len(s.ns) - 1; i >= 0; i-- {
			c.consider(s, i)
		}
	default:
		// Below the apex, an output parent's axis is everything in scope
		// there: write what this element changes.
		for i := s.declared(); i < len(s.ns); i++ {
			c.consider(s, i)
		}
	}
	if len(c.decls) > 1 {
		slices.SortFunc(c.decls, func(x, y int) int { return strings.Compare(s.inScope(x).prefix, s.inScope(y).prefix) })
	}
	c.rendered = append(c.rendered, c.decls...)
	c.depth++
	c.startTag(s)
}

// consider adds the declaration ns[i] to those to write unless one for
// its prefix is already there, or an open output element wrote the same
// binding (the same declaration, or the innermost written for its prefix
// binds the same URI), or it is the absent default namespace where none
// was written.
func (c *streamC14N) consider(s *xmlScanner, i int) {
	prefix, uri := s.inScope(i).prefix, s.inScope(i).uri
	for _, d := range c.decls {
		if s.inScope(d).prefix == prefix {
			return
		}
	}
	for j := len(c.rendered) - 1; j >= 0; j-- {
		w := c.rendered[j]
		if w == i {
			return
		}
		if s.inScope(w).prefix == prefix {
			if s.inScope(w).uri != uri {
				c.decls = append(c.decls, i)
			}
			return
		}
	}
	if uri != "" {
		c.decls = append(c.decls, i)
	}
}

func (c *streamC14N) startTag(s *xmlScanner) {
	c.out = append(c.out, '<')
	c.out = append(c.out, s.raw()...)
	for _, i := range c.decls {
		appendNamespace(&c.out, s.inScope(i))
	}
	// Attributes by namespace URI (none first), then local name.
	c.order = c.order[:0]
	for i := range s.attrs {
		c.order = append(c.order, i)
	}
	if len(c.order) > 1 {
		slices.SortFunc(c.order, func(i, j int) int {
			x, y := &s.attrs[i], &s.attrs[j]
			if d := strings.Compare(x.uri, y.uri); d != 0 {
				return d
			}
			return bytes.Compare(x.name.local, y.name.local)
		})
	}
	for _, i := range c.order {
		a := &s.attrs[i]
		c.out = append(c.out, ' ')
		c.out = append(c.out, a.raw...)
		c.out = append(c.out, `="`...)
		xmltext.AppendEscaped(&c.out, a.value, true)
		c.out = append(c.out, '"')
	}
	c.out = append(c.out, '>')
}

// text writes character data (text or a CDATA section's content).
func (c *streamC14N) text(t []byte) error {
	xmltext.AppendEscaped(&c.out, t, false)
	return c.flushFull()
}

// end writes the end tag of the element s has just closed, and once the
// canonicalized element is closed, flushes.
func (c *streamC14N) end(s *xmlScanner) error {
	c.out = append(c.out, "</"...)
	c.out = append(c.out, s.raw()...)
	c.out = append(c.out, '>')
	c.depth--
	c.rendered = c.rendered[:c.marks[len(c.marks)-1]]
	c.marks = c.marks[:len(c.marks)-1]
	if c.depth == 0 {
		_, err := c.dst.Write(c.out)
		c.out = c.out[:0]
		return err
	}
	return c.flushFull()
}

func (c *streamC14N) flushFull() error {
	if len(c.out) < c.chunk {
		return nil
	}
	_, err := c.dst.Write(c.out)
	c.out = c.out[:0]
	return err
}
