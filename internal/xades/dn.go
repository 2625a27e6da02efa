package xades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// sameName reports whether an X509IssuerName string names the attributes
// of a certificate's issuer. Signers spell one name differently: in RFC
// 4514 order (the last RDN first) or the certificate's; with "," or ", "
// between RDNs; with keywords or OIDs (CN or 2.5.4.3; ИНН, INN or
// OID.1.2.643.3.131.1.1); with values escaped, quoted (.NET) or as #hex
// DER. So both sides become sorted lists of oid=value, with values
// compared case-insensitively and with spaces collapsed as X.520's
// caseIgnoreMatch does.
func sameName(s string, names []pkix.AttributeTypeAndValue) bool {
	parsed, err := parseDN(s)
	if err != nil {
		return false
	}
	var want []string
	for _, n := range names {
		want = append(want, n.Type.String()+"="+normalize(fmt.Sprint(n.Value)))
	}
	slices.Sort(parsed)
	slices.Sort(want)
	return slices.Equal(parsed, want)
}

func normalize(v string) string { return strings.ToLower(strings.Join(strings.Fields(v), " ")) }

// attributeTypes maps the keywords of RFC 4514 §3, the usual extensions and
// those of Russian qualified certificates (Приказ ФСБ № 795) to OIDs.
var attributeTypes = map[string]string{
	"CN": "2.5.4.3", "SN": "2.5.4.4", "SURNAME": "2.5.4.4", "SERIALNUMBER": "2.5.4.5", "C": "2.5.4.6",
	"L": "2.5.4.7", "ST": "2.5.4.8", "S": "2.5.4.8", "STREET": "2.5.4.9", "O": "2.5.4.10", "OU": "2.5.4.11", "POSTALCODE": "2.5.4.17",
	"T": "2.5.4.12", "TITLE": "2.5.4.12", "G": "2.5.4.42", "GN": "2.5.4.42", "GIVENNAME": "2.5.4.42",
	"E": "1.2.840.113549.1.9.1", "EMAIL": "1.2.840.113549.1.9.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
	"DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
	"INN": "1.2.643.3.131.1.1", "ИНН": "1.2.643.3.131.1.1", "OGRN": "1.2.643.100.1", "ОГРН": "1.2.643.100.1",
	"SNILS": "1.2.643.100.3", "СНИЛС": "1.2.643.100.3", "INNLE": "1.2.643.100.4", "ИННЮЛ": "1.2.643.100.4",
	"OGRNIP": "1.2.643.100.5", "ОГРНИП": "1.2.643.100.5",
}

// parseDN reads a distinguished name string into oid=value entries.
func parseDN(s string) ([]string, error) {
	var out []string
	for rest := strings.TrimSpace(s); rest != ""; {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("no attribute type in %q", rest)
		}
		typ := strings.TrimSpace(rest[:eq])
		oid, ok := attributeTypes[strings.ToUpper(typ)]
		if !ok {
			oid = strings.TrimPrefix(strings.TrimPrefix(typ, "OID."), "oid.")
			if !isOID(oid) {
				return nil, fmt.Errorf("unknown attribute type %q", typ)
			}
		}
		value, tail, err := parseValue(strings.TrimLeft(rest[eq+1:], " "))
		if err != nil {
			return nil, err
		}
		out = append(out, oid+"="+normalize(value))
		tail = strings.TrimLeft(tail, " ")
		if tail != "" && !strings.ContainsRune(",;+", rune(tail[0])) {
			return nil, fmt.Errorf("unexpected %q", tail)
		}
		if tail != "" {
			tail = tail[1:]
		}
		rest = strings.TrimSpace(tail)
	}
	return out, nil
}

func isOID(s string) bool {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return len(parts) >= 2
}

// parseValue reads one attribute value and returns what follows it.
func parseValue(s string) (value, rest string, err error) {
	switch {
	case strings.HasPrefix(s, "#"): // the value's DER, hex-encoded
		end := strings.IndexAny(s, ",;+ ")
		if end < 0 {
			end = len(s)
		}
		der, err := hex.DecodeString(s[1:end])
		if err != nil {
			return "", "", fmt.Errorf("bad hex value %q", s[:end])
		}
		var str string
		if _, err := asn1.Unmarshal(der, &str); err != nil {
			return strings.ToLower(s[:end]), s[end:], nil // not a string type: compare as written
		}
		return str, s[end:], nil
	case strings.HasPrefix(s, `"`): // RFC 1779 quoting, as .NET writes it; "" or \" inside
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch {
			case s[i] == '\\' && i+1 < len(s):
				i++
				b.WriteByte(s[i])
			case s[i] == '"' && i+1 < len(s) && s[i+1] == '"':
				i++
				b.WriteByte('"')
			case s[i] == '"':
				return b.String(), s[i+1:], nil
			default:
				b.WriteByte(s[i])
			}
		}
		return "", "", fmt.Errorf("unterminated quoted value %q", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := hex.DecodeString(s[i+1 : i+3])
			b.WriteByte(v[0])
			i += 2
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == ',' || c == ';' || c == '+':
			return b.String(), s[i:], nil
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "", nil
}

func isHex(c byte) bool { return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0 }
