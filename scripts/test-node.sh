#!/usr/bin/env bash
# Both end-to-end suites (e2e and e2e-pid1) again, with gracie on other Node majors: scripts/test-node.sh 22 24 26
# (`npm run test:node -- 22 24 26`). Each major is the newest release of npm's node-linux-<arch> package, cached
# outside the clone (scripts/fetch-package.sh). The unit tests and the type-check do not depend on the runtime
# and ran with `npm test`. bin/gracie.js runs the first `node` on PATH, so vitest runs on that Node too;
# test/e2e/process.test.ts checks that gracie's Node is major GRACIE_E2E_NODE_MAJOR. Every major runs even when
# one fails; the exit status says whether all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 <node major>..." >&2; exit 2; }
arch=$(node -p process.arch)
npm run build --silent
failed=()
for major in "$@"; do
  dir=$(bash scripts/fetch-package.sh "node-linux-$arch" "$major")
  echo "== e2e on Node $("$dir/bin/node" -v) ($dir)"
  if ! PATH="$dir/bin:$PATH" GRACIE_E2E_NODE_MAJOR=$major npx vitest run --project e2e --project e2e-pid1; then
    failed+=("$major")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "test-node.sh: e2e failed on Node ${failed[*]}" >&2; exit 1; }
