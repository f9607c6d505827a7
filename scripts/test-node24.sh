#!/usr/bin/env bash
# The end-to-end suites again, with gracie on Node 24 (npm's `node` package, into .node24/, git-ignored). The
# unit tests and the type-check do not depend on the runtime and ran with `npm test`. bin/gracie.js runs the
# first `node` on PATH; test/e2e/process.test.ts checks gracie's Node is major GRACIE_E2E_NODE_MAJOR.
set -euo pipefail
cd "$(dirname "$0")/.."
node24=.node24/node_modules/node/bin
if [ ! -x "$node24/node" ]; then
  npm install --prefix .node24 --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
fi
export PATH="$PWD/$node24:$PATH" GRACIE_E2E_NODE_MAJOR=24
echo "e2e on $(node -v)"
npm run build
npx vitest run --project e2e --project e2e-pid1
