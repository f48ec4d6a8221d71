#!/bin/sh
# The real-browser check of the status page (tools/browser-check.ts) with Debian's chromium:
# installs it when missing, then runs the check with the project's Node 24.
set -eu
cd "$(dirname "$0")/.."
command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)
exec node_modules/.bin/node tools/browser-check.ts "$@"
