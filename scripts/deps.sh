#!/usr/bin/env bash
# Installs the Debian tools the tests use, where missing: xmllint (XSD
# validation against the official GIS schemas), OpenSSL's GOST engine (an
# independent check of our signatures, and the GOST TLS suites) and stunnel4
# (the GOST-TLS gateway, gateway/, run end to end by internal/gosttls).
set -euo pipefail
need=()
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
openssl engine gost >/dev/null 2>&1 || need+=(openssl libengine-gost-openssl)
command -v stunnel4 >/dev/null 2>&1 || need+=(stunnel4)
if [ ${#need[@]} -gt 0 ]; then
  echo "deps.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
