#!/usr/bin/env bash
# Deploys the stack to LocalStack with cdklocal, for users with Docker
# (no Docker engine runs on the project's own machines, so this is not
# part of the tests). LocalStack must be running (e.g. `localstack start -d`
# or its Docker image on :4566). The aws-cdk CLI is pinned to 2.x: CLI 3.x
# cannot read this CDK version's cloud assembly.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${AWS_ENDPOINT_URL:=http://localhost:4566}"
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-eu-central-1}" CDK_DEFAULT_ACCOUNT=000000000000 CDK_DEFAULT_REGION="${AWS_REGION}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

if ! curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null; then
  echo "localstack.sh: LocalStack does not answer at $AWS_ENDPOINT_URL (start it with Docker first)" >&2
  exit 1
fi
tools=.local/cdk-cli
npm install --prefix "$tools" --no-audit --no-fund --no-save aws-cdk@2.1148.1 aws-cdk-local@3.0.4 >/dev/null
make build-lambda
"$tools/node_modules/.bin/cdklocal" bootstrap "aws://000000000000/$AWS_REGION"
"$tools/node_modules/.bin/cdklocal" deploy --require-approval never --all
