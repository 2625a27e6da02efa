package gismessage

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/xmltext"
)

// Message is a request ready to sign: the SOAP envelope as a tree whose
// request element (the one signed) holds none of the items, and the items
// written out once, in the two forms signing and sending need. Building
// hundreds of items as a tree, canonicalizing that tree for the signature
// and writing it out cost the packer more CPU than hashing and signing.
type Message struct {
	Doc     *etree.Document
	Request *etree.Element
	// items is how the items are written into the document, whose
	// envelope declares every prefix they use.
	items []byte
	// canonical is their exclusive canonical form (xml-exc-c14n) inside
	// the request element: each element declares its prefix unless an
	// ancestor's canonical form already does.
	canonical []byte
}

// CanonicalItems is the exclusive canonical form of the items inside the
// request element, which follow its other children there: what a
// signer hashes of them (xades.Signer.SignContent).
func (m *Message) CanonicalItems() []byte { return m.canonical }

// Bytes writes the document with the items after the request element's
// other children: its signature. The request must be signed (hold a
// child) by then, as an empty one has no end tag to write them before.
func (m *Message) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(m.items) + 16<<10)
	if _, err := m.Doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	// An empty request element is written as an empty-element tag.
	end := bytes.LastIndex(out, []byte("</"+m.Request.FullTag()+">"))
	if end < 0 {
		return nil, errors.New("gismessage: the request element is empty: sign it before writing the message")
	}
	return slices.Insert(out, end, m.items...), nil
}

// Tree moves the items into the request element as elements, for
// reading a message as a tree (tests, tools); the message holds no items
// of its own afterwards.
func (m *Message) Tree() (*etree.Document, *etree.Element, error) {
	frag := etree.NewDocument()
	if err := frag.ReadFromBytes(m.items); err != nil {
		return nil, nil, err
	}
	for _, el := range frag.ChildElements() {
		m.Request.AddChild(el)
	}
	m.items, m.canonical = nil, nil
	return m.Doc, m.Request, nil
}

// itemWriter writes a request's items in both of a Message's forms. Items
// are elements with a prefix and either text or element children, never
// attributes.
type itemWriter struct {
	items, canonical []byte
	value            []byte   // a number or date formatted for an element
	open             []string // the tags of the elements open now
	// declaredAt is, for each prefix, the depth of the open element whose
	// canonical form declares it (0: the request element), or -1.
	declaredAt [len(prefixes)]int
}

// newItemWriter starts the items of req: its canonical form declares the
// prefixes it uses itself, in its name and attributes.
func newItemWriter(req *etree.Element) *itemWriter {
	w := &itemWriter{}
	for i := range w.declaredAt {
		w.declaredAt[i] = -1
	}
	w.declaredAt[prefixIndex(req.Space)] = 0
	for _, a := range req.Attr {
		if a.Space != "" {
			w.declaredAt[prefixIndex(a.Space)] = 0
		}
	}
	return w
}

// prefixIndex is the index of prefix in prefixes; the tags are this
// package's own, so an unknown prefix is a mistake in it.
func prefixIndex(prefix string) int {
	for i, p := range prefixes {
		if p.prefix == prefix {
			return i
		}
	}
	panic("gismessage: undeclared prefix " + prefix)
}

func (w *itemWriter) start(tag string) {
	w.open = append(w.open, tag)
	w.items = append(append(append(w.items, '<'), tag...), '>')
	w.canonical = append(append(w.canonical, '<'), tag...)
	prefix, _, _ := strings.Cut(tag, ":")
	if i := prefixIndex(prefix); w.declaredAt[i] < 0 {
		w.declaredAt[i] = len(w.open)
		w.canonical = append(append(append(append(append(w.canonical, " xmlns:"...), prefix...), `="`...), prefixes[i].ns...), '"')
	}
	w.canonical = append(w.canonical, '>')
}

func (w *itemWriter) end() {
	depth := len(w.open)
	tag := w.open[depth-1]
	w.open = w.open[:depth-1]
	for i, d := range w.declaredAt {
		if d == depth {
			w.declaredAt[i] = -1
		}
	}
	w.items = append(append(append(w.items, "</"...), tag...), '>')
	w.canonical = append(append(append(w.canonical, "</"...), tag...), '>')
}

// text writes an element holding value, passed through Text.
func (w *itemWriter) text(tag, value string) { writeElement(w, tag, Text(value)) }

// formatted writes an element holding value, a number or date appended
// to w.value[:0] (kept for the next one): no string is made for each.
func (w *itemWriter) formatted(tag string, value []byte) {
	w.value = value
	writeElement(w, tag, value)
}

// writeElement writes an element holding value, escaped, in both forms.
func writeElement[T string | []byte](w *itemWriter, tag string, value T) {
	w.start(tag)
	xmltext.AppendEscaped(&w.items, value, false)
	xmltext.AppendEscaped(&w.canonical, value, false)
	w.end()
}

func (w *itemWriter) opt(tag, value string) {
	if value != "" {
		w.text(tag, value)
	}
}

// reserve makes room for n items like the ones written so far, so the
// buffers of a package grow once instead of doubling their way there.
func (w *itemWriter) reserve(n int) {
	w.items = slices.Grow(w.items, len(w.items)*n)
	w.canonical = slices.Grow(w.canonical, len(w.canonical)*n)
}

// message is the Message of the envelope doc, its request element req
// and the items w wrote.
func (w *itemWriter) message(doc *etree.Document, req *etree.Element) *Message {
	return &Message{Doc: doc, Request: req, items: w.items, canonical: w.canonical}
}
