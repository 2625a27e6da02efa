package signkey

// SecretString reads AWS Secrets Manager secrets.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// String returns a secret's SecretString.
func SecretString(ctx context.Context, arn string) (string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		return "", fmt.Errorf("secrets: read %s: %w", arn, err)
	}
	if out.SecretString == nil {
		return "", errors.New("secrets: the secret has no SecretString")
	}
	return *out.SecretString, nil
}
