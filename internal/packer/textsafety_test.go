package packer_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gispayments/gis-payments/internal/contract"
	"github.com/gispayments/gis-payments/internal/packer"
	"github.com/gispayments/gis-payments/internal/postgres/pgtest"
	"github.com/gispayments/gis-payments/internal/sender"
	"github.com/gispayments/gis-payments/internal/testkit"
	"github.com/gispayments/gis-payments/internal/xades"
)

// Text with line breaks and characters XML 1.0 does not allow, in the
// organisation's names and in payment purposes, reaches GIS signed so that
// the simulator (XSD and signature) accepts every package; an account
// number with a line break is held back with a reason, not sent.
func TestPoisonedTextIsAccepted(t *testing.T) {
	ctx := context.Background()
	e := setup(t)
	org := pgtest.Organization(t, e.Store, "fkr", "ufkr")
	org.Name = "Фонд\r\nкапремонта\x0b«Москва»"
	org.BankName = "ПАО\rСбербанк\x1b"
	org.PaymentRecipient = "Фонд\uffffкапремонта\ufffe\r\n"
	if _, err := e.Store.UpsertOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	runID := e.Reconciled(t, "fkr", 6, 1)
	purposes := []string{"ЖКУ\r\nноябрь", "ЖКУ\rноябрь", "ЖКУ\x0bноябрь", "ЖКУ\x1b[0mноябрь", "ЖКУ\uffffноябрь\ufffe"}
	rows, err := e.Store.Pool.Query(ctx, `SELECT id FROM recon_row WHERE run_id = $1 AND order_id IS NOT NULL ORDER BY id`, runID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	if len(ids) != 6 {
		t.Fatalf("%d bank rows", len(ids))
	}
	for i, p := range purposes {
		if _, err := e.Store.Pool.Exec(ctx, `UPDATE recon_row SET payment_purpose = $2 WHERE id = $1`, ids[i], p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Store.Pool.Exec(ctx, `UPDATE recon_row SET account_number = $2 WHERE id = $1`, ids[5], "ЛС\r\n0001"); err != nil {
		t.Fatal(err)
	}

	res, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payments != 5 || res.HeldBack != 1 {
		t.Fatalf("result %+v", res)
	}
	var reason string
	e.Store.Pool.QueryRow(ctx, `SELECT hold_reason FROM recon_row WHERE id = $1`, ids[5]).Scan(&reason)
	if !strings.Contains(reason, "account_number") || !strings.Contains(reason, "line break") {
		t.Errorf("hold reason %q", reason)
	}
	sent, err := e.Send.Send(ctx, sender.Request{PackageIDs: res.PackageIDs})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Sent != len(res.PackageIDs) || e.Sim.Accepted() != len(res.PackageIDs) {
		t.Errorf("sent %+v, GIS accepted %d of %d", sent, e.Sim.Accepted(), len(res.PackageIDs))
	}
}

// spoilingSigner signs items whose text ends in a CR the written request
// does not carry, as a parser rewriting a raw CR would leave it: the
// written bytes' signature does not verify.
type spoilingSigner struct{ packer.Signer }

func (s spoilingSigner) SignContent(el *etree.Element, content []byte) (*xades.Reference, error) {
	return s.Signer.SignContent(el, bytes.Replace(content, []byte("</base:TransportGUID>"), []byte("&#xD;</base:TransportGUID>"), 1))
}

// whitespaceSigner signs a request that has an attribute with a TAB and a
// LF, which etree writes raw: a parser reads both as spaces (XML 1.0
// §3.3.3), so GIS digests other text than the signer did, while
// encoding/xml keeps them and a tree read back verifies.
type whitespaceSigner struct{ packer.Signer }

func (s whitespaceSigner) SignContent(el *etree.Element, content []byte) (*xades.Reference, error) {
	el.CreateAttr("note", "a\tb\nc")
	return s.Signer.SignContent(el, content)
}

// The packer reads back what it is about to archive and verifies it as
// GIS's parser reads it: a package that would not verify at GIS is an
// error naming it, and nothing is archived.
func TestPackerRefusesAPackageThatDoesNotVerify(t *testing.T) {
	signers := map[string]func(packer.Signer) packer.Signer{
		"text changed after signing":                func(s packer.Signer) packer.Signer { return spoilingSigner{s} },
		"an attribute a parser reads as other text": func(s packer.Signer) packer.Signer { return whitespaceSigner{s} },
	}
	for name, signer := range signers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e, runID := reconciled(t, "uk_rso", 3, 1)
			e.Pack.Signer = signer(&xades.Signer{Key: testkit.Key(t)})
			_, err := e.Pack.Pack(ctx, packer.Request{RunID: runID})
			pkgs, _ := e.Store.PackagesOfRun(ctx, runID)
			if len(pkgs) != 1 {
				t.Fatalf("%d packages", len(pkgs))
			}
			if err == nil || !strings.Contains(err.Error(), "package "+strconv.FormatInt(pkgs[0].ID, 10)) || !strings.Contains(err.Error(), "verify") {
				t.Fatalf("error %v", err)
			}
			if pkgs[0].Status != contract.PackageBuilt || pkgs[0].RequestKey != "" {
				t.Errorf("package %+v", pkgs[0])
			}
			if _, err := e.S3.Store.Head(ctx, testkit.Archive, packer.ArchiveKey(pkgs[0])); err == nil {
				t.Error("the broken package was archived")
			}
		})
	}
}
