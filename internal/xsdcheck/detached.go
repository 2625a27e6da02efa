package xsdcheck

// Detached helps move an element out of its document without losing
// the namespace declarations it inherits.

import "github.com/beevik/etree"

// Detached returns a copy of el that declares every namespace el inherits
// from its ancestors (the nearest declaration of a prefix wins), so the
// copy means the same on its own.
func Detached(el *etree.Element) *etree.Element {
	c := el.Copy()
	declared := map[string]bool{}
	for _, a := range c.Attr {
		if isDecl(a) {
			declared[a.FullKey()] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if isDecl(a) && !declared[a.FullKey()] {
				declared[a.FullKey()] = true
				c.CreateAttr(a.FullKey(), a.Value)
			}
		}
	}
	return c
}

func isDecl(a etree.Attr) bool { return a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") }
