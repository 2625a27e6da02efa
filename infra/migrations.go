package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newMigrations applies the database migrations during the deploy, through
// a custom resource backed by the migrate function (functions/migrate). Its
// MigrationsHash property changes whenever a migration file does, which
// makes CloudFormation send an Update, so the function runs again; an
// unchanged deploy does not invoke it.
func newMigrations(scope constructs.Construct, d *deps) error {
	hash, err := hashDir(d.cfg.MigrationsDir)
	if err != nil {
		return err
	}
	fn, err := newGoFunction(scope, d, functionSpec{migrateName, "Applies the database migrations on deploy", 256, minutes(5)})
	if err != nil {
		return err
	}
	provider := customresources.NewProvider(scope, jsii.String("MigrationsProvider"), &customresources.ProviderProps{
		OnEventHandler: fn,
		LogGroup: awslogs.NewLogGroup(scope, jsii.String("MigrationsProviderLogs"), &awslogs.LogGroupProps{
			Retention: awslogs.RetentionDays_THREE_MONTHS,
		}),
	})
	migrations := awscdk.NewCustomResource(scope, jsii.String("Migrations"), &awscdk.CustomResourceProps{
		ServiceToken: provider.ServiceToken(),
		ResourceType: jsii.String("Custom::Migrations"),
		Properties:   &map[string]any{"MigrationsHash": hash},
	})
	// Not before the function may reach the proxy: the ingress rule is
	// part of the database's constructs.
	migrations.Node().AddDependency(d.db.Instance)
	return nil
}

// hashDir is a digest of the names and contents of the files in dir.
func hashDir(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("migrations: %w", err)
	}
	names := []string{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("migrations: no files in %s", dir)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("migrations: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
