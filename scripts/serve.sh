#!/usr/bin/env bash
# Sets up what is missing, builds franz for the web, and serves the tutorial at http://localhost:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh
exec node scripts/serve.mjs dist "${PORT:-8080}"
