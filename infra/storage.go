package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Storage is the two buckets, the key that encrypts both, and the bucket
// their server access logs go to.
type Storage struct {
	Key        awskms.Key
	Exports    awss3.Bucket // incoming/ (uploads), reports/, results/
	Archive    awss3.Bucket // archive/: signed requests and GIS's responses
	AccessLogs awss3.Bucket // exports/ and archive/: S3 server access logs
}

// Key prefixes the functions are granted; the function code writes these.
const (
	incomingPrefix = "incoming/"
	reportsPrefix  = "reports/"
	resultsPrefix  = "results/"
	archivePrefix  = "archive/"
)

func newStorage(scope constructs.Construct) *Storage {
	key := awskms.NewKey(scope, jsii.String("DataKey"), &awskms.KeyProps{
		Description:       jsii.String("gis-payments: exports, reports and the GIS archive"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	// S3 delivers server access logs only to a bucket with S3-managed
	// encryption; they name objects and requesters, not contents. A year,
	// then gone.
	logs := awss3.NewBucket(scope, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(365))}},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	exports := newBucket(scope, "Exports", key, logs,
		coolDown(incomingPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30),
		coolDown(reportsPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30),
		coolDown(resultsPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30))
	archive := newBucket(scope, "Archive", key, logs,
		coolDown(archivePrefix, awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(), 90))
	return &Storage{Key: key, Exports: exports, Archive: archive, AccessLogs: logs}
}

// newBucket is private, TLS-only, versioned (every write gets its own S3
// event and nothing is lost to an overwrite), encrypted with key, and logs
// its requests to logs under <id in lower case>/.
func newBucket(scope constructs.Construct, id string, key awskms.IKey, logs awss3.IBucket, rules ...*awss3.LifecycleRule) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true), // one KMS call per bucket key, not per object
		Versioned:              jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:         &rules,
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String(strings.ToLower(id) + "/"),
	})
}

// coolDown moves objects under prefix to a cheaper class after days, and
// drops superseded versions after 90 days.
func coolDown(prefix string, class awss3.StorageClass, days float64) *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id:     jsii.String(prefix + " to " + *class.Value()),
		Prefix: jsii.String(prefix),
		Transitions: &[]*awss3.Transition{{
			StorageClass:    class,
			TransitionAfter: awscdk.Duration_Days(jsii.Number(days)),
		}},
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}
}
