#!/usr/bin/env bash
# Builds the static wuji binary and the FROM-scratch image around it.
#   bash deploy/docker/build.sh [TAG]      (default tag: wuji:local)
# The binary is linked with glibc statically (crt-static, target given
# explicitly so build scripts and proc macros stay dynamic); name resolution
# (the compose federation's service names) and TLS work without any file of
# the image besides it.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag="${1:-wuji:local}"
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target "$target" -p wuji
bin="target/$target/release/wuji"
# (A dynamic binary lists the libraries it needs, "NAME => PATH".)
if ldd "$bin" 2>&1 | grep -q "=>"; then
  echo "error: $bin is not static" >&2
  exit 1
fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/wuji"
strip "$ctx/wuji"
mkdir "$ctx/data"
docker build -q -t "$tag" -f deploy/docker/Dockerfile "$ctx"
docker image inspect "$tag" --format '{{.Size}}' | awk -v t="$tag" '{ printf "%s: %.1f MB\n", t, $1 / 1e6 }'
