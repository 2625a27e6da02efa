package xades

import (
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// IssuerName is ds:X509IssuerName for a certificate: its issuer's DER
// (RawIssuer) written as RFC 4514 (RFC 2253) does, the last RDN first, each
// attribute with its keyword and its decoded value, so the string reads as
// `openssl x509 -noout -issuer -nameopt RFC2253,-esc_msb` prints it: the
// certificate's own order, reversed (pkix.Name.String() regroups the attributes and
// writes the Russian ones as #hex). Keywords are OpenSSL's short names,
// "street" and "emailAddress" among them (GIS samples spell these
// variously: E, STREET, OID.…; the verifier's sameName reads every
// spelling), and INN, OGRN, SNILS, OGRNIP, INNLE for the attributes of
// Russian qualified certificates. INNLE (1.2.643.100.4) is a name OpenSSL 3.0
// does not know yet (it prints the OID and #hex there); it is the keyword
// CryptoPro and later OpenSSL use. An attribute with no keyword is written
// as its dotted OID with its DER in hex (#…), as RFC 4514 §2.4 says.
func IssuerName(raw []byte) (string, error) {
	// Raw values, not pkix.RDNSequence: its values lose the string type.
	var raws []rawAttributeSET
	if rest, err := asn1.Unmarshal(raw, &raws); err != nil {
		return "", fmt.Errorf("xades: issuer name: %w", err)
	} else if len(rest) > 0 {
		return "", fmt.Errorf("xades: issuer name: %d bytes after the name", len(rest))
	}
	var b strings.Builder
	for i := len(raws) - 1; i >= 0; i-- {
		if i < len(raws)-1 {
			b.WriteByte(',')
		}
		// Within a multi-valued RDN too the last comes first, as OpenSSL
		// prints it (RFC 4514 leaves that order free).
		for j := len(raws[i]) - 1; j >= 0; j-- {
			atv := raws[i][j]
			if j < len(raws[i])-1 {
				b.WriteByte('+')
			}
			keyword, known := keywords[atv.Type.String()]
			value, ok := decodeString(atv.Value)
			if !known || !ok {
				if !known {
					keyword = atv.Type.String()
				}
				b.WriteString(keyword + "=#" + strings.ToUpper(hex.EncodeToString(atv.Value.FullBytes)))
				continue
			}
			b.WriteString(keyword + "=" + escapeDNValue(value))
		}
	}
	return b.String(), nil
}

// rawAttributeSET is one RDN (encoding/asn1 reads a slice type named …SET as a SET).
type rawAttributeSET []struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// keywords are the names written for attribute types (OpenSSL's short names).
var keywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "title",
	"2.5.4.17": "postalCode", "2.5.4.42": "GN", "1.2.840.113549.1.9.1": "emailAddress",
	"0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
	"1.2.643.3.131.1.1": "INN", "1.2.643.100.1": "OGRN", "1.2.643.100.3": "SNILS",
	"1.2.643.100.4": "INNLE", "1.2.643.100.5": "OGRNIP",
}

// decodeString returns the text of a directory string value.
func decodeString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagNumericString, asn1.TagIA5String:
		return string(v.Bytes), utf8.Valid(v.Bytes)
	case asn1.TagT61String: // in practice Latin-1
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(v.Bytes[2*i:])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString, UTF-32BE
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(v.Bytes)/4)
		for i := range r {
			r[i] = rune(binary.BigEndian.Uint32(v.Bytes[4*i:]))
		}
		return string(r), true
	}
	return "", false
}

// escapeDNValue escapes a value as RFC 4514 §2.4 asks (and OpenSSL's
// RFC2253 option does): a backslash before , + " \ < > ;, before a leading
// # or space and a trailing space, control characters as \XX.
func escapeDNValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(`,+"\<>;`, r),
			(r == '#' || r == ' ') && i == 0,
			r == ' ' && i == len(s)-1:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\%02X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
