package xades

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// xmlScanner reads a document the way an XML 1.0 parser with namespaces
// hands it to canonicalization, without building a tree: UTF-8 only; line
// ends (CR, CRLF) become LF; TAB, CR and LF in attribute values become
// spaces; the five predefined entities and character references are
// replaced, the Char production checked; comments are reported, to be
// dropped; CDATA sections are text; prefixes resolve against the
// declarations in scope. What it does not implement it refuses rather than
// reads differently from such a parser: a DTD (and so any other entity),
// processing instructions, xml:* attributes (inclusive C14N would inherit
// them into SignedInfo), undeclaring a prefix (XML 1.1), declaring the xml
// or xmlns prefixes, another encoding or version, a byte order mark.
type xmlScanner struct {
	data []byte
	pos  int
	open []openElement
	ns   []binding // the declarations in scope, innermost last

	// The current token: an element's start (tag, bound, attrs; its own
	// declarations are ns[declared():]), its end (tag), or text (text,
	// cdata). The element's name is kept as offsets, and its namespace as
	// the declaration's index: no pointers to store (under the GC's write
	// barrier) for every element.
	tag      openElement
	bound    int // the declaration (in ns) of the name's prefix, -1 for none
	attrs    []xmlAttr
	text     []byte
	cdata    bool
	textBuf  []byte
	closing  bool // the start tag was empty (<a/>): its end comes next
	rootDone bool
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokComment
)

// qname is a name as written: prefix (empty for none) and local part.
type qname struct{ prefix, local []byte }

type xmlAttr struct {
	raw   []byte // prefix:local as written
	name  qname
	value []byte // normalized
	uri   string
	bound int // the declaration (in ns) of its prefix, -1 for none
}

// openElement is an element's name as written, data[name:end], with the
// colon after its prefix at colon (-1 for none).
type openElement struct {
	name, colon, end int
	nsMark           int // len(ns) before its declarations
}

// openName is the name of open[i] as written.
func (s *xmlScanner) openName(i int) []byte { return s.data[s.open[i].name:s.open[i].end] }

// raw is the current element's name as written.
func (s *xmlScanner) raw() []byte { return s.data[s.tag.name:s.tag.end] }

// prefix is the current element's prefix, nil for none.
func (s *xmlScanner) prefix() []byte {
	if s.tag.colon < 0 {
		return nil
	}
	return s.data[s.tag.name:s.tag.colon]
}

// local is the current element's local name.
func (s *xmlScanner) local() []byte {
	if s.tag.colon < 0 {
		return s.raw()
	}
	return s.data[s.tag.colon+1 : s.tag.end]
}

// uri is the current element's namespace URI.
func (s *xmlScanner) uri() string { return s.inScope(s.bound).uri }

const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

// errSyntax is wrapped by every refusal of the scanner; errUnsupported
// too when the document is well-formed but uses what the scanner does not
// implement.
var (
	errSyntax      = errors.New("xml")
	errUnsupported = errors.New("not supported")
)

func (s *xmlScanner) fail(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, s.pos, fmt.Sprintf(format, args...))
}

func (s *xmlScanner) unsupported(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %w: %s", errSyntax, s.pos, errUnsupported, fmt.Sprintf(format, args...))
}

func newXMLScanner(data []byte) (*xmlScanner, error) {
	s := &xmlScanner{data: data}
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return nil, s.unsupported("a byte order mark")
	}
	if i, err := invalidChar(data); err != nil {
		s.pos = i
		return nil, s.fail("%v", err)
	}
	if bytes.HasPrefix(data, []byte("<?xml")) && len(data) > 5 && isSpace(data[5]) {
		if err := s.declaration(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// declared is where the current element's own declarations start in ns.
func (s *xmlScanner) declared() int { return s.open[len(s.open)-1].nsMark }

// next reads the next token.
func (s *xmlScanner) next() (tokKind, error) {
	if s.closing {
		s.closing = false
		return s.pop(), nil
	}
	for {
		if s.pos >= len(s.data) {
			if len(s.open) > 0 || !s.rootDone {
				return tokEOF, s.fail("the document ends inside or before its root element")
			}
			return tokEOF, nil
		}
		rest := s.data[s.pos:]
		switch {
		case rest[0] != '<':
			if len(s.open) > 0 {
				return tokText, s.charData()
			}
			if err := s.skipMisc(); err != nil {
				return tokEOF, err
			}
		case len(rest) > 1 && rest[1] != '/' && rest[1] != '!' && rest[1] != '?' && !s.rootDone:
			return tokStart, s.startTag() // the commonest markup, tested first
		case bytes.HasPrefix(rest, []byte("</")):
			return tokEnd, s.endTag()
		case bytes.HasPrefix(rest, []byte("<!--")):
			return tokComment, s.comment()
		case bytes.HasPrefix(rest, []byte("<![CDATA[")) && len(s.open) > 0:
			return tokText, s.cdataSection()
		case bytes.HasPrefix(rest, []byte("<!")):
			return tokEOF, s.unsupported("a DTD or markup declaration")
		case bytes.HasPrefix(rest, []byte("<?")):
			return tokEOF, s.unsupported("a processing instruction")
		case s.rootDone:
			return tokEOF, s.fail("a second root element")
		default:
			return tokStart, s.startTag()
		}
	}
}

// skipMisc skips white space outside the root element.
func (s *xmlScanner) skipMisc() error {
	for s.pos < len(s.data) && s.data[s.pos] != '<' {
		if !isSpace(s.data[s.pos]) {
			return s.fail("text outside the root element")
		}
		s.pos++
	}
	return nil
}

// declaration reads <?xml version="1.0" encoding="UTF-8" standalone="…"?>,
// in that order, encoding and standalone optional.
func (s *xmlScanner) declaration() error {
	s.pos += len("<?xml")
	want := []string{"version", "encoding", "standalone"}
	for {
		ws := s.skipSpace()
		if bytes.HasPrefix(s.data[s.pos:], []byte("?>")) && len(want) < 3 {
			s.pos += 2
			return nil
		}
		raw, _, err := s.qname()
		if err != nil {
			return err
		}
		i := 0
		for i < len(want) && want[i] != string(raw) {
			i++
		}
		if !ws || i == len(want) || (len(want) == 3) != (string(raw) == "version") {
			return s.fail("malformed XML declaration")
		}
		want = want[i+1:]
		value, err := s.pseudoValue()
		if err != nil {
			return err
		}
		v := string(value)
		if (string(raw) == "version" && v != "1.0") || (string(raw) == "encoding" && !bytes.EqualFold(value, []byte("UTF-8"))) ||
			(string(raw) == "standalone" && v != "yes" && v != "no") {
			return s.unsupported("XML declaration %s=%q", raw, v)
		}
	}
}

func (s *xmlScanner) pseudoValue() ([]byte, error) {
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '=' {
		return nil, s.fail("expected =")
	}
	s.pos++
	s.skipSpace()
	if s.pos >= len(s.data) || (s.data[s.pos] != '"' && s.data[s.pos] != '\'') {
		return nil, s.fail("expected a quoted value")
	}
	q := s.data[s.pos]
	end := bytes.IndexByte(s.data[s.pos+1:], q)
	if end < 0 {
		return nil, s.fail("unterminated value")
	}
	v := s.data[s.pos+1 : s.pos+1+end]
	s.pos += end + 2
	return v, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *xmlScanner) skipSpace() bool {
	start := s.pos
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
	return s.pos > start
}

// qname reads a Name and splits it into prefix and local part, refusing
// what is not a QName (Namespaces in XML 1.0 §4).
func (s *xmlScanner) qname() (raw []byte, n qname, err error) {
	data, start, colon := s.data, s.pos, -1
	i := start
	for i < len(data) {
		c := data[i]
		if nameClass[c] != 0 {
			i++
			continue
		}
		if c == ':' {
			if colon >= 0 {
				s.pos = i
				return nil, n, s.fail("a name with two colons")
			}
			colon = i
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRune(data[i:])
		if !isNameRune(r, i == start) {
			break
		}
		i += size
	}
	if i > start && nameClass[data[start]] == nameChar {
		i = start // a digit, '-' or '.' does not start a name
	}
	s.pos = i
	raw = data[start:i]
	switch {
	case len(raw) == 0:
		return nil, n, s.fail("expected a name")
	case colon < 0:
		n.local = raw
	case colon == start || colon == i-1:
		return nil, n, s.fail("%q is not a qualified name", raw)
	default:
		n.prefix, n.local = data[start:colon], data[colon+1:i]
	}
	if !startsName(n.local) || (n.prefix != nil && !startsName(n.prefix)) {
		return nil, n, s.fail("%q is not a name", raw)
	}
	return raw, n, nil
}

// startsName says whether b starts with a NameStartChar other than ':'.
func startsName(b []byte) bool {
	if b[0] < utf8.RuneSelf {
		return nameClass[b[0]] == nameStart
	}
	r, _ := utf8.DecodeRune(b)
	return isNameRune(r, true)
}

// nameClass classes the ASCII bytes of names other than ':', which a
// QName has at most once and not at either end: nameStart for a
// NameStartChar, nameChar for one that may only follow; 0 for the rest and
// for the bytes of longer UTF-8 sequences, which are decoded.
var nameClass = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			t[c] = nameStart
		case c >= '0' && c <= '9', c == '-', c == '.':
			t[c] = nameChar
		}
	}
	return t
}()

const (
	nameStart = 1 + iota
	nameChar
)

// isNameRune is NameStartChar (first) or NameChar above ASCII (XML 1.0 §2.3).
func isNameRune(r rune, first bool) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF, r >= 0x370 && r <= 0x37D,
		r >= 0x37F && r <= 0x1FFF, r == 0x200C, r == 0x200D, r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF,
		r >= 0x3001 && r <= 0xD7FF, r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	case r == 0xB7, r >= 0x300 && r <= 0x36F, r == 0x203F, r == 0x2040:
		return !first
	}
	return false
}

// invalidChar finds the first byte that is not UTF-8 or starts a character
// outside XML 1.0's Char production (§2.2).
func invalidChar(data []byte) (int, error) {
	for i := 0; i < len(data); {
		// Eight bytes at a time while none is above ASCII or below a space
		// (subtracting 0x20 from each borrows into the high bit of the
		// first that is below); else the characters that start in those
		// eight one by one.
		const high, spaces = 0x8080808080808080, 0x2020202020202020
		if i+8 <= len(data) {
			if w := binary.LittleEndian.Uint64(data[i:]); w&high == 0 && (w-spaces)&high == 0 {
				i += 8
				continue
			}
		}
		for end := min(i+8, len(data)); i < end; {
			c := data[i]
			switch {
			case c >= 0x20 && c < utf8.RuneSelf, c == '\t', c == '\n', c == '\r':
				i++
				continue
			case c < 0x20:
				return i, fmt.Errorf("character %#x is not allowed in XML", c)
			case c >= 0xC2 && c < 0xE0 && i+1 < len(data) && data[i+1]&0xC0 == 0x80:
				// A two-byte sequence (Cyrillic) is U+0080 to U+07FF: always a Char.
				i += 2
				continue
			}
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return i, errors.New("not UTF-8")
			}
			if r == 0xFFFE || r == 0xFFFF {
				return i, fmt.Errorf("character %U is not allowed in XML", r)
			}
			i += size
		}
	}
	return 0, nil
}

// isChar is XML 1.0's Char production, for character references.
func isChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// charData reads text up to the next markup.
func (s *xmlScanner) charData() error {
	// One pass (text runs are short) to the markup, noting what needs a
	// closer look.
	data, start, end := s.data, s.pos, s.pos
	var marks uint8
	for end < len(data) && data[end] != '<' {
		marks |= textMarks[data[end]]
		end++
	}
	seg := data[start:end]
	if marks&textBracket != 0 {
		if i := bytes.Index(seg, []byte("]]>")); i >= 0 {
			s.pos += i
			return s.fail("]]> in text")
		}
	}
	s.cdata = false
	if marks&textDecode == 0 {
		s.text = seg
		s.pos = end
		return nil
	}
	buf, err := s.decode(s.textBuf[:0], seg, false)
	s.textBuf, s.text = buf, buf
	s.pos = end
	return err
}

// textMarks marks the bytes of text that may start "]]>", which text may
// not have, and those decode replaces.
var textMarks = [256]uint8{']': textBracket, '&': textDecode, '\r': textDecode}

const (
	textBracket uint8 = 1 << iota
	textDecode
)

func (s *xmlScanner) cdataSection() error {
	start := s.pos + len("<![CDATA[")
	end := bytes.Index(s.data[start:], []byte("]]>"))
	if end < 0 {
		return s.fail("unterminated CDATA section")
	}
	seg := s.data[start : start+end]
	s.pos = start + end + len("]]>")
	s.cdata = true
	s.text = seg
	if bytes.IndexByte(seg, '\r') >= 0 {
		s.textBuf = appendLines(s.textBuf[:0], seg, false)
		s.text = s.textBuf
	}
	return nil
}

// appendLines appends seg with CRLF and CR as LF (XML 1.0 §2.11), or as
// spaces in an attribute value, where TAB and LF become spaces too (§3.3.3).
// What it leaves as is it appends in runs.
func appendLines(dst, seg []byte, attr bool) []byte {
	mask := lineText
	if attr {
		mask = lineAttr
	}
	start := 0
	for i := 0; i < len(seg); i++ {
		if lineMarks[seg[i]]&mask == 0 {
			continue
		}
		dst = append(dst, seg[start:i]...)
		c := seg[i]
		if c == '\r' && i+1 < len(seg) && seg[i+1] == '\n' {
			i++
		}
		if attr {
			c = ' '
		} else {
			c = '\n'
		}
		dst = append(dst, c)
		start = i + 1
	}
	return append(dst, seg[start:]...)
}

// lineMarks marks the bytes appendLines replaces in text and in attribute
// values.
var lineMarks = [256]uint8{'\r': lineText | lineAttr, '\n': lineAttr, '\t': lineAttr}

const (
	lineText uint8 = 1 << iota
	lineAttr
)

// decode appends seg to dst with line ends normalized and references
// replaced; in an attribute value, white space becomes spaces first.
func (s *xmlScanner) decode(dst, seg []byte, attr bool) ([]byte, error) {
	for len(seg) > 0 {
		amp := bytes.IndexByte(seg, '&')
		if amp < 0 {
			return appendLines(dst, seg, attr), nil
		}
		dst = appendLines(dst, seg[:amp], attr)
		semi := bytes.IndexByte(seg[amp:], ';')
		if semi < 0 {
			return dst, s.fail("& without a reference")
		}
		ref := seg[amp+1 : amp+semi]
		seg = seg[amp+semi+1:]
		var err error
		if dst, err = s.appendReference(dst, ref); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendReference appends what &ref; stands for: a predefined entity or a
// character reference whose character is a Char.
func (s *xmlScanner) appendReference(dst, ref []byte) ([]byte, error) {
	switch string(ref) {
	case "lt":
		return append(dst, '<'), nil
	case "gt":
		return append(dst, '>'), nil
	case "amp":
		return append(dst, '&'), nil
	case "apos":
		return append(dst, '\''), nil
	case "quot":
		return append(dst, '"'), nil
	}
	if len(ref) < 2 || ref[0] != '#' {
		return dst, s.fail("entity &%s; is not declared (no DTD is read)", ref)
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	for _, c := range digits { // ParseUint would take signs, underscores and 0x
		if !(c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
			return dst, s.fail("malformed character reference &%s;", ref)
		}
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || !isChar(rune(n)) {
		return dst, s.fail("character reference &%s; is not an XML character", ref)
	}
	return utf8.AppendRune(dst, rune(n)), nil
}

func (s *xmlScanner) comment() error {
	start := s.pos + len("<!--")
	end := bytes.Index(s.data[start:], []byte("--"))
	if end < 0 || start+end+2 >= len(s.data) || s.data[start+end+2] != '>' {
		return s.fail("malformed comment")
	}
	s.pos = start + end + len("-->")
	return nil
}

// startTag reads a start tag, its declarations into ns and its other
// attributes into attrs, and resolves their names.
func (s *xmlScanner) startTag() error {
	s.pos++
	raw, name, err := s.qname()
	if err != nil {
		return err
	}
	mark := len(s.ns)
	s.tag = openElement{name: s.pos - len(raw), colon: -1, end: s.pos, nsMark: mark}
	if name.prefix != nil {
		s.tag.colon = s.tag.name + len(name.prefix)
	}
	s.attrs = s.attrs[:0]
	s.open = append(s.open, s.tag)
	for {
		ws := s.skipSpace()
		if s.pos >= len(s.data) {
			return s.fail("unterminated start tag")
		}
		if c := s.data[s.pos]; c == '>' || c == '/' {
			if c == '/' && (s.pos+1 >= len(s.data) || s.data[s.pos+1] != '>') {
				return s.fail("expected />")
			}
			s.closing = c == '/'
			s.pos += 1 + b2i(s.closing)
			break
		}
		if !ws {
			return s.fail("attributes must be separated by white space")
		}
		if err := s.attribute(mark); err != nil {
			return err
		}
	}
	return s.resolve(mark)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// attribute reads one attribute: a declaration goes onto ns.
func (s *xmlScanner) attribute(mark int) error {
	raw, name, err := s.qname()
	if err != nil {
		return err
	}
	value, err := s.pseudoValue()
	if err != nil {
		return err
	}
	var marks uint8
	for _, c := range value {
		marks |= valueMarks[c]
	}
	if marks&valueLess != 0 {
		return s.fail("< in an attribute value")
	}
	if marks&valueDecode != 0 {
		if value, err = s.decode(nil, value, true); err != nil {
			return err
		}
	}
	for _, a := range s.attrs {
		if bytes.Equal(a.raw, raw) {
			return s.fail("attribute %s twice", raw)
		}
	}
	switch {
	case string(name.prefix) == "xmlns":
		return s.declare(mark, string(name.local), string(value))
	case name.prefix == nil && string(name.local) == "xmlns":
		return s.declare(mark, "", string(value))
	}
	s.attrs = append(s.attrs, xmlAttr{raw: raw, name: name, value: value, bound: -1})
	return nil
}

// valueMarks marks the bytes an attribute value may not have and those
// decode replaces.
var valueMarks = [256]uint8{'<': valueLess, '&': valueDecode, '\t': valueDecode, '\n': valueDecode, '\r': valueDecode}

const (
	valueLess uint8 = 1 << iota
	valueDecode
)

// absoluteURI is a URI's scheme (RFC 3986 §3.1).
var absoluteURI = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

func (s *xmlScanner) declare(mark int, prefix, uri string) error {
	for _, b := range s.ns[mark:] {
		if b.prefix == prefix {
			return s.fail("namespace prefix %q declared twice", prefix)
		}
	}
	switch {
	case prefix == "xml" || prefix == "xmlns":
		return s.unsupported("declaring the %s prefix", prefix)
	case uri == nsXML || uri == nsXMLNS:
		return s.fail("binding %q to %s is not allowed", prefix, uri)
	case prefix != "" && uri == "":
		return s.fail("undeclaring prefix %q is XML 1.1", prefix)
	case uri != "" && !absoluteURI.MatchString(uri):
		return s.unsupported("the relative namespace URI %q", uri) // C14N 1.0 §2: canonicalization fails
	}
	b := binding{prefix: prefix, uri: uri}
	var written []byte
	appendNamespace(&written, b)
	b.written = string(written)
	s.ns = append(s.ns, b)
	return nil
}

// resolve gives the element and its attributes their namespace URIs and
// the declarations their prefixes resolve to.
func (s *xmlScanner) resolve(mark int) error {
	prefix := s.prefix()
	if string(prefix) == "xml" {
		return s.unsupported("an element in the xml namespace")
	}
	var ok bool
	if s.bound, _, ok = s.lookup(prefix); !ok {
		return s.fail("namespace prefix %q is not declared", prefix)
	}
	for i := range s.attrs {
		a := &s.attrs[i]
		if a.name.prefix == nil {
			continue
		}
		if string(a.name.prefix) == "xml" {
			return s.unsupported("attribute %s", a.raw)
		}
		if a.bound, a.uri, ok = s.lookup(a.name.prefix); !ok {
			return s.fail("namespace prefix %q is not declared", a.name.prefix)
		}
		for _, b := range s.attrs[:i] {
			if b.uri == a.uri && bytes.Equal(b.name.local, a.name.local) {
				return s.fail("attribute {%s}%s twice", a.uri, a.name.local)
			}
		}
	}
	return nil
}

// lookup returns the innermost declaration of prefix in scope (its index
// in ns, -1 for none), the URI it binds ("" for no prefix and no default),
// and false for a prefix without one. The xml prefix is refused, see
// xmlScanner.
func (s *xmlScanner) lookup(prefix []byte) (int, string, bool) {
	for i := len(s.ns) - 1; i >= 0; i-- {
		// Length and first byte tell most prefixes apart without a call.
		if p := s.ns[i].prefix; len(p) == len(prefix) && (p == "" || p[0] == prefix[0]) && p == string(prefix) {
			return i, s.ns[i].uri, true
		}
	}
	return -1, "", len(prefix) == 0
}

// inScope is ns[i], the empty default namespace for -1.
func (s *xmlScanner) inScope(i int) binding {
	if i < 0 {
		return binding{}
	}
	return s.ns[i]
}

func (s *xmlScanner) endTag() error {
	s.pos += 2
	if len(s.open) > 0 {
		// The open element's name, read as a QName at its start, then '>'.
		top, rest := s.openName(len(s.open)-1), s.data[s.pos:]
		if len(rest) > len(top) && rest[len(top)] == '>' && string(rest[:len(top)]) == string(top) {
			s.pos += len(top) + 1
			s.pop()
			return nil
		}
	}
	raw, _, err := s.qname()
	if err != nil {
		return err
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '>' {
		return s.fail("malformed end tag")
	}
	s.pos++
	if len(s.open) == 0 || !bytes.Equal(s.openName(len(s.open)-1), raw) {
		return s.fail("end tag </%s> does not close the open element", raw)
	}
	s.pop()
	return nil
}

// pop closes the innermost element; tag keeps its name for the end token.
func (s *xmlScanner) pop() tokKind {
	top := s.open[len(s.open)-1]
	s.tag = top
	s.ns = s.ns[:top.nsMark]
	s.open = s.open[:len(s.open)-1]
	s.rootDone = len(s.open) == 0
	return tokEnd
}
