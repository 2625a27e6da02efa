package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Storage is the two buckets and the key that encrypts both.
type Storage struct {
	Key     awskms.Key
	Exports awss3.Bucket // incoming/ (uploads), reports/, results/
	Archive awss3.Bucket // archive/: signed requests and GIS's responses
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
	exports := newBucket(scope, "Exports", key,
		coolDown(incomingPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30),
		coolDown(reportsPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30),
		coolDown(resultsPrefix, awss3.StorageClass_INFREQUENT_ACCESS(), 30))
	archive := newBucket(scope, "Archive", key,
		coolDown(archivePrefix, awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(), 90))
	return &Storage{Key: key, Exports: exports, Archive: archive}
}

// newBucket is private, TLS-only, versioned (every write gets its own S3
// event and nothing is lost to an overwrite) and encrypted with key.
func newBucket(scope constructs.Construct, id string, key awskms.IKey, rules ...*awss3.LifecycleRule) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     key,
		BucketKeyEnabled:  jsii.Bool(true), // one KMS call per bucket key, not per object
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &rules,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
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
