#!/usr/bin/env bash
# gracie's single executables (npm run build:sea): both end-to-end projects a third time with
# dist/sea/gracie-linux-x64 as gracie (GRACIE_E2E_COMMAND, test/e2e/helpers.ts), then the arm64 smoke with
# dist/sea/gracie-linux-arm64 under qemu-user (test/smoke/, the harness scripts/test-arm64.sh uses).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:sea --silent
exe=$PWD/dist/sea/gracie-linux-x64
echo "== e2e with the single executable $exe ($(stat -c %s "$exe") bytes)"
GRACIE_E2E_COMMAND="[\"$exe\"]" GRACIE_E2E_SEA=1 npx vitest run --project e2e --project e2e-pid1

qemu=$(command -v qemu-aarch64-static) || { echo "$0: qemu-aarch64-static is missing (apt-get install qemu-user-static)" >&2; exit 1; }
arm64=$PWD/dist/sea/gracie-linux-arm64
wrapper=$(mktemp -d "${TMPDIR:-/tmp}/gracie-sea-arm64.XXXXXX")
trap 'rm -rf "$wrapper"' EXIT
printf '#!/bin/sh\nexec %s -L /usr/aarch64-linux-gnu %s "$@"\n' "$qemu" "$arm64" >"$wrapper/gracie"
chmod +x "$wrapper/gracie"
echo "== arm64 smoke with the single executable $arm64 under $("$qemu" --version | head -n 1)"
GRACIE_E2E_COMMAND="[\"$wrapper/gracie\"]" GRACIE_E2E_SEA=1 GRACIE_SMOKE_QEMU=1 npx vitest run --config test/smoke/vitest.config.mts
