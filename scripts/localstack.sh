#!/usr/bin/env bash
# Deploys the stack to LocalStack with cdklocal, for users with Docker
# (no Docker engine runs on the project's own machines, so this is not
# part of the tests). What it needs (infra/README.md, "LocalStack and SAM"):
#
#   docker run -d -p 4566:4566 -v /var/run/docker.sock:/var/run/docker.sock \
#     localstack/localstack:4.12.0   # pinned: later images need a LocalStack account/auth token
#   a Postgres the Lambda containers can reach, e.g.
#   docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=gis -e POSTGRES_DB=gis_payments postgres:15
#   EXTERNAL_DATABASE_URL=postgres://postgres:gis@host.docker.internal:5432/gis_payments?sslmode=disable
#
# LocalStack community has no RDS (nor RDS Proxy): the externalDatabaseUrl
# context switch leaves them out and gives every function DATABASE_URL.
# With LocalStack Pro (LOCALSTACK_AUTH_TOKEN set for the container) set
# EXTERNAL_DATABASE_URL= (empty) to deploy RDS as in AWS.
# The aws-cdk CLI is pinned to 2.x: CLI 3.x cannot read this CDK version's
# cloud assembly.
set -euo pipefail
cd "$(dirname "$0")/.."

endpoint="${AWS_ENDPOINT_URL:-http://localhost:4566}"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-central-1}}"
# Every SDK (the CLI's, the functions') and cdklocal take the endpoint from
# these; S3 has its own variable, which the CDK CLI's asset upload reads.
export AWS_ENDPOINT_URL="$endpoint" AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-$endpoint}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
# cdklocal does not pass AWS_REGION on to the app: name it every way.
export AWS_REGION="$region" AWS_DEFAULT_REGION="$region" CDK_DEFAULT_REGION="$region" CDK_DEFAULT_ACCOUNT=000000000000
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
external="${EXTERNAL_DATABASE_URL-postgres://postgres:gis@host.docker.internal:5432/gis_payments?sslmode=disable}"

if ! curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null; then
  echo "localstack.sh: LocalStack does not answer at $AWS_ENDPOINT_URL (start it with Docker first)" >&2
  exit 1
fi
context=(-c "multiAz=false")
if [ -n "$external" ]; then
  echo "localstack.sh: no RDS; the functions use $external (set EXTERNAL_DATABASE_URL= with LocalStack Pro)" >&2
  context+=(-c "externalDatabaseUrl=$external")
fi
tools=.local/cdk-cli
npm install --prefix "$tools" --no-audit --no-fund --no-save aws-cdk@2.1148.1 aws-cdk-local@3.0.4 >/dev/null
make build-lambda
"$tools/node_modules/.bin/cdklocal" bootstrap "aws://000000000000/$region" "${context[@]}"
"$tools/node_modules/.bin/cdklocal" deploy --require-approval never --all "${context[@]}"
