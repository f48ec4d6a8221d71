#!/bin/sh
# The consumer suite (tools/consumers/): the monitor's outputs read by promtool (Debian's
# `prometheus` package) and xmllint (`libxml2-utils`), installed here when missing, the way
# tools/browser-check.sh installs Chromium; then the suite runs with the project's Node 24.
set -eu
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null 2>&1 || ! command -v xmllint >/dev/null 2>&1; then
  apt-get update
  # --no-install-recommends: promtool is all we need of Prometheus; its server is not started.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus libxml2-utils
fi
exec node_modules/.bin/node tools/consumers/run.ts "$@"
