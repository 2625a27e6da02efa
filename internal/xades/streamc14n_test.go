package xades

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// streamCanonical canonicalizes a whole document's root element with
// streamC14N.
func streamCanonical(data []byte, exclusive bool) ([]byte, error) {
	s, err := newXMLScanner(data)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	c := newStreamC14N(&out, exclusive, 32)
	for {
		tok, err := s.next()
		switch {
		case err != nil:
			return nil, err
		case tok == tokEOF:
			return out.Bytes(), nil
		case tok == tokStart:
			c.start(s)
		case tok == tokEnd:
			err = c.end(s)
		case tok == tokText:
			err = c.text(s.text)
		}
		if err != nil {
			return nil, err
		}
	}
}

// The scanner and streamC14N canonicalize as libxml2 does, both ways, on
// documents with what the signed packages do not have: default namespaces
// set and unset, prefixes rebound and redeclared, attributes in several
// namespaces, references, CDATA, line ends in text and attributes, > and
// ] written raw in text.
func TestStreamC14NMatchesLibxml(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed")
	}
	dir := t.TempDir()
	docs := []string{
		`<a xmlns="urn:d" xmlns:p="urn:p" xmlns:unused="urn:u"><b xmlns=""><p:c/></b><c xmlns="urn:d"/><p:d xmlns:p="urn:q" p:x="1"/></a>`,
		`<p:a xmlns:p="urn:p" xmlns:q="urn:q" b="2" q:z="3" a="1" p:z="4"><q:b q:y="&lt;&amp;&gt;&quot;&apos;"/></p:a>`,
		"<a x=\"t\tl\nc\r\nr\rend\" y=\"&#9;&#10;&#13;&#x20;\" z='\"'>t\tl\nc\r\nr\r&#13;&#xD;&#10;end</a>",
		`<a><![CDATA[<&>]]]]><![CDATA[>"']]>&#x10000;&#1092;ф&#62;</a>`,
		"<a  \n b = 'x' ><b\n/><c></c >text<!-- dropped -->more</a >",
		`<p:a xmlns:p="urn:p"><p:b xmlns:p="urn:p"><p:c xmlns:p="urn:other"/></p:b><b xmlns="urn:e" xmlns:p="urn:p"/></p:a>`,
		`<a xmlns="urn:a"><b xmlns="urn:a"><c xmlns=""><d xmlns=""/></c></b></a>`,
		`<a>x > y, ]] ]></a>`,
		"<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\r\n<!-- c -->\r\n<a>\r\n</a>\r\n<!-- c -->\r\n",
	}
	for _, doc := range docs {
		for _, mode := range []string{"--exc-c14n", "--c14n"} {
			path := dir + "/doc.xml"
			stripped := comment.ReplaceAllString(doc, "")
			if err := os.WriteFile(path, []byte(stripped), 0o600); err != nil {
				t.Fatal(err)
			}
			want, err := exec.Command(xmllint, mode, path).Output()
			if err != nil {
				t.Fatalf("xmllint %s %q: %v", mode, doc, err)
			}
			want = bytes.TrimSuffix(want, []byte("\n")) // xmllint ends its output with one
			got, err := streamCanonical([]byte(doc), mode == "--exc-c14n")
			if err != nil {
				t.Errorf("%s %q: %v", mode, doc, err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("%s %q:\n got %q\nwant %q", mode, doc, got, want)
			}
		}
	}
}

// The scanner refuses what is not well-formed XML 1.0 with namespaces, and
// what it does not implement, with errUnsupported.
func TestScannerRefuses(t *testing.T) {
	tests := []struct {
		doc         string
		unsupported bool
	}{
		{`<!DOCTYPE a><a/>`, true},
		{`<a><?pi x?></a>`, true},
		{`<?xml version="1.1"?><a/>`, true},
		{`<?xml version="1.0" encoding="KOI8-R"?><a/>`, true},
		{"\xEF\xBB\xBF<a/>", true},
		{`<a xml:lang="ru"/>`, true},
		{`<a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>`, true},
		{`<a xmlns="relative"/>`, true},
		{`<a xmlns:p="../p"/>`, true},
		{`<a>&nbsp;</a>`, false},
		{`<a>&#0;</a>`, false},
		{`<a>&#xD800;</a>`, false},
		{`<a>&#x110000;</a>`, false},
		{`<a>&#-1;</a>`, false},
		{`<a>&#x;</a>`, false},
		{`<a>& b</a>`, false},
		{"<a>\x01</a>", false},
		{"<a>\xff</a>", false},
		{"<a>\uffff</a>", false},
		{`<a>]]></a>`, false},
		{`<a b="<"/>`, false},
		{`<a b="1" b="2"/>`, false},
		{`<a xmlns:p="urn:x" xmlns:q="urn:x" p:b="1" q:b="2"/>`, false},
		{`<a xmlns:p=""/>`, false},
		{`<p:a/>`, false},
		{`<a p:b="1"/>`, false},
		{`<a:b:c xmlns:a="urn:a"/>`, false},
		{`<1a/>`, false},
		{`<a b="1"c="2"/>`, false},
		{`<a><b></a></b>`, false},
		{`<a></ab>`, false},
		{`<ab></a>`, false},
		{`<a:b xmlns:a="urn:a"></a:c>`, false},
		{`</a>`, false},
		{`<a/></a>`, false},
		{`<-a/>`, false},
		{`<a:-b xmlns:a="urn:a"/>`, false},
		{`<a>]]]></a>`, false},
		{`<a>`, false},
		{`<a/><b/>`, false},
		{`text<a/>`, false},
		{`<a/>text`, false},
		{`<a><!-- a -- b --></a>`, false},
		{`<a><!-- a ---></a>`, false},
		{`<a><![CDATA[x</a>`, false},
		{`<?xml version="1.0"?><?xml version="1.0"?><a/>`, true},
		{`<?xml encoding="UTF-8"?><a/>`, false},
		{``, false},
	}
	for _, tt := range tests {
		_, err := streamCanonical([]byte(tt.doc), true)
		if !errors.Is(err, errSyntax) || errors.Is(err, errUnsupported) != tt.unsupported {
			t.Errorf("%q: %v", tt.doc, err)
		}
	}
}
