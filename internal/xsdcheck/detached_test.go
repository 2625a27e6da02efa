package xsdcheck

import (
	"testing"

	"github.com/beevik/etree"
)

func TestDetached(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<a xmlns="urn:default" xmlns:p="urn:outer" xmlns:q="urn:q"><b xmlns:p="urn:inner"><p:c q:x="1"/></b></a>`); err != nil {
		t.Fatal(err)
	}
	c := Detached(doc.FindElement("//p:c"))
	out := etree.NewDocument()
	out.SetRoot(c)
	s, _ := out.WriteToString()
	if want := `<p:c q:x="1" xmlns:p="urn:inner" xmlns="urn:default" xmlns:q="urn:q"/>`; s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
	if c.NamespaceURI() != "urn:inner" {
		t.Errorf("namespace %s", c.NamespaceURI())
	}
}
