#!/usr/bin/env bash
# Makes the compose federation's certificates with `wuji ca`: a CA in
# pki/ca (its key stays here, on the host), and for each node pki/CODE/ with
# ca.pem, node.pem, node.key, node.sign.key, and the node's operator
# certificate (operator.pem, operator.key) for `docker exec NODE /wuji ...`.
#   WUJI=path/to/wuji bash deploy/compose/make-pki.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wuji="${WUJI:-wuji}"
pki="$here/pki"
if [ -e "$pki" ]; then
  echo "$pki exists: remove it to make new certificates" >&2
  exit 1
fi
mkdir -p "$pki/ca"
"$wuji" ca init --dir "$pki/ca" >/dev/null
for code in 100000 320000 320100 320114 320115 320114001 320114002; do
  d="$pki/$code"
  mkdir -p "$d"
  "$wuji" ca issue --dir "$pki/ca" --node "$code" --out "$d" >/dev/null
  "$wuji" ca issue --dir "$pki/ca" --client "operator-$code" --role operator --node "$code" --out "$d" >/dev/null
  mv "$d/node-$code.pem" "$d/node.pem"
  mv "$d/node-$code.key" "$d/node.key"
  mv "$d/node-$code.sign.key" "$d/node.sign.key"
  mv "$d/client-$code-operator.pem" "$d/operator.pem"
  mv "$d/client-$code-operator.key" "$d/operator.key"
  cp "$pki/ca/ca.pem" "$d/ca.pem"
done
# The nodes run as uid 65532 in their containers: they must read their keys.
if [ "$(id -u)" = 0 ]; then
  chown -R 65532:65532 "$pki"/[0-9]*
else
  echo "note: run as root, or give uid 65532 read access to $pki/*/ (the containers' user)" >&2
fi
echo "certificates in $pki"
