package xades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func TestSameName(t *testing.T) {
	seq := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "RU"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: `ООО "Ромашка"`}},
		{{Type: asn1.ObjectIdentifier{1, 2, 643, 3, 131, 1, 1}, Value: "007707049388"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Тестовый УЦ, филиал"}},
	}
	var name pkix.Name
	name.FillFromRDNSequence(&seq)
	tests := []struct {
		name, dn string
		same     bool
	}{
		{"Go (RFC 2253 with #hex)", name.String(), true},
		{".NET and CryptoPro", `CN="Тестовый УЦ, филиал", ИНН=007707049388, O="ООО ""Ромашка""", C=RU`, true},
		{"certificate order, OID. prefix", `C=RU; O=ООО \"Ромашка\"; OID.1.2.643.3.131.1.1=007707049388; CN=Тестовый УЦ\, филиал`, true},
		{"case and spaces", `cn=ТЕСТОВЫЙ  УЦ\2C филиал,INN=007707049388,o=ооо "ромашка",c=ru`, true},
		{"another CN", `CN=Другой УЦ, INN=007707049388, O=ООО "Ромашка", C=RU`, false},
		{"an attribute missing", `CN=Тестовый УЦ\, филиал, O=ООО "Ромашка", C=RU`, false},
		{"an attribute more", `CN=Тестовый УЦ\, филиал, INN=007707049388, O=ООО "Ромашка", OU=IT, C=RU`, false},
		{"unknown keyword", `XX=1, CN=Тестовый УЦ\, филиал, INN=007707049388, O=ООО "Ромашка", C=RU`, false},
		{"not a name", `Тестовый УЦ`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameName(tt.dn, name.Names); got != tt.same {
				t.Errorf("sameName(%q) = %v", tt.dn, got)
			}
		})
	}
}
