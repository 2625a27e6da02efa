package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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
// unchanged deploy does not invoke it. MigrationsVersion, the highest
// migration number, lets the function tell a rollback (an Update to a lower
// version), which it ignores: migrations only go forward.
//
// migrate is the only function with the master user's secret: it logs in
// as the master user, migrates, then creates or updates the application's
// role (gis_app) with the password of the application's secret.
func newMigrations(scope constructs.Construct, d *deps) (awscdk.CustomResource, error) {
	hash, err := hashDir(d.cfg.MigrationsDir)
	if err != nil {
		return nil, err
	}
	version, err := lastVersion(d.cfg.MigrationsDir)
	if err != nil {
		return nil, err
	}
	fn, err := newGoFunction(scope, d, functionSpec{migrateName, "Applies the database migrations on deploy and sets up the application's database role", 256, minutes(5)})
	if err != nil {
		return nil, err
	}
	props := map[string]any{"MigrationsHash": hash, "MigrationsVersion": fmt.Sprint(version)}
	if d.db.MasterSecret != nil {
		fn.AddEnvironment(jsii.String("DATABASE_URL"), d.db.url(dbMasterUser), nil)
		fn.AddEnvironment(jsii.String("DATABASE_SECRET_ARN"), d.db.MasterSecret.SecretArn(), nil)
		fn.AddEnvironment(jsii.String("APP_DATABASE_SECRET_ARN"), d.db.AppSecret.SecretArn(), nil)
		d.db.MasterSecret.GrantRead(fn, nil)
		props["AppSecretArn"] = d.db.AppSecret.SecretArn() // a new secret sets the role up again
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
		Properties:   &props,
	})
	// Not before the function may reach the database (the ingress rule is
	// part of the database's constructs) and the proxy has its targets.
	for _, c := range []constructs.IConstruct{d.db.Instance, d.db.Proxy} {
		if c != nil {
			migrations.Node().AddDependency(c)
		}
	}
	// The application's secret rotates (logging in as gis_app) only once
	// the role exists.
	if d.db.AppRotation != nil {
		d.db.AppRotation.Node().AddDependency(migrations)
	}
	return migrations, nil
}

// lastVersion is the highest goose version (the number a migration's file
// name starts with) in dir.
func lastVersion(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	last := 0
	for _, e := range entries {
		digits, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.Atoi(digits); err == nil && n > last {
			last = n
		}
	}
	if last == 0 {
		return 0, fmt.Errorf("migrations: no numbered files in %s", dir)
	}
	return last, nil
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
