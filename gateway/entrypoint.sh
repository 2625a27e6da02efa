#!/bin/sh
# Entrypoint of the GOST-TLS gateway. ECS injects the client certificate,
# its key and the CA chain that signs GIS's server certificate from the
# gateway's Secrets Manager secret as environment variables (PEM text); this
# writes them to files in memory (0600, this user only), renders
# stunnel.conf from its template and runs stunnel in the foreground.
#
#   GATEWAY_CLIENT_CERT   PEM: the GOST client certificate GIS registered (required)
#   GATEWAY_CLIENT_KEY    PEM: its GOST R 34.10-2012 private key (required)
#   GATEWAY_CA_CHAIN      PEM: the CAs that issue GIS's server certificate (required)
#   GATEWAY_TARGET        host:port of GIS (default api.dom.gosuslugi.ru:443)
#   GATEWAY_CHECK_HOST    the name GIS's certificate must carry, also sent as SNI (default: the target's host)
#   GATEWAY_ACCEPT        where the functions connect (default 0.0.0.0:8080)
#   GATEWAY_CIPHERS       TLS 1.2 suites offered (default GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC;
#                         older peers of GIS used IANA-GOST2012-GOST8912-GOST8912)
#   GATEWAY_LOG_LEVEL     stunnel's debug level (default info: one line per connection with its cipher suite)
#   GATEWAY_CONF_DIR      openssl.cnf and stunnel.conf.tmpl (default /etc/gateway)
#   GATEWAY_SECRETS_DIR   where the PEM files go (default /dev/shm/gateway: memory, never the
#                         image's disk; Fargate takes no tmpfs mounts, /dev/shm is the runtime's own)
set -eu
umask 077

target="${GATEWAY_TARGET:-api.dom.gosuslugi.ru:443}"
check_host="${GATEWAY_CHECK_HOST:-${target%:*}}"
accept="${GATEWAY_ACCEPT:-0.0.0.0:8080}"
level="${GATEWAY_LOG_LEVEL:-info}"
ciphers="${GATEWAY_CIPHERS:-GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC}"
dir="${GATEWAY_SECRETS_DIR:-/dev/shm/gateway}"
conf="${GATEWAY_CONF_DIR:-/etc/gateway}"

missing=""
for name in GATEWAY_CLIENT_CERT GATEWAY_CLIENT_KEY GATEWAY_CA_CHAIN; do
  eval "value=\${$name:-}"
  case "$value" in
    *"-----BEGIN "*) ;;
    *) missing="$missing $name" ;;
  esac
done
if [ -n "$missing" ]; then
  # Never print the values: only which ones are absent.
  echo "gateway: no PEM in$missing: put the client certificate, its key and GIS's CA chain into the gateway secret (see infra/README.md)" >&2
  exit 78
fi

mkdir -p "$dir"
printf '%s\n' "$GATEWAY_CLIENT_CERT" >"$dir/client.pem"
printf '%s\n' "$GATEWAY_CLIENT_KEY" >"$dir/client.key"
printf '%s\n' "$GATEWAY_CA_CHAIN" >"$dir/ca.pem"
chmod 0600 "$dir/client.pem" "$dir/client.key" "$dir/ca.pem"
unset GATEWAY_CLIENT_CERT GATEWAY_CLIENT_KEY GATEWAY_CA_CHAIN

# The values are ours or the task definition's, not the network's; still,
# refuse anything that could break out of a stunnel.conf line.
for value in "$target" "$check_host" "$accept" "$level" "$ciphers"; do
  case "$value" in
    *[!A-Za-z0-9.:_-]*|"") echo "gateway: bad setting \"$value\"" >&2; exit 78 ;;
  esac
done

sed -e "s|@ACCEPT@|$accept|" -e "s|@TARGET@|$target|" -e "s|@CHECK_HOST@|$check_host|g" \
    -e "s|@CLIENT_CERT@|$dir/client.pem|" -e "s|@CLIENT_KEY@|$dir/client.key|" -e "s|@CA_FILE@|$dir/ca.pem|" \
    -e "s|@LOG_LEVEL@|$level|" -e "s|@CIPHERS@|$ciphers|" "$conf/stunnel.conf.tmpl" >"$dir/stunnel.conf"

export OPENSSL_CONF="$conf/openssl.cnf"
echo "gateway: $accept -> $target (TLS 1.2, $ciphers, certificate checked for $check_host)" >&2
exec stunnel4 "$dir/stunnel.conf"
