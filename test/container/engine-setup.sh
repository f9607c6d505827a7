#!/usr/bin/env bash
# Makes this machine able to build and run Dockerfile.example in a real engine: podman (Debian's), the two engine
# settings this kind of machine needs, and the base images the examples start FROM, made from Debian's archive and
# the machine's own Node because no image registry is reachable. Each image is kept in podman's store, labelled
# with what it was made from, and remade only when that changes. Facts: ../shared/design/containers.md.
set -euo pipefail

log() { echo "engine-setup: $*" >&2; }

# ---- packages ----
packages=(podman buildah runc debootstrap uidmap fuse-overlayfs slirp4netns catatonit)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- engine settings ----
# Root here lacks CAP_SYS_RESOURCE: a container cannot raise its limits above ours (podman asks for nofile
# 1048576 and crun/runc fail with `setrlimit RLIMIT_NOFILE: Operation not permitted`), so containers get our hard
# limits. podman also lowers its own nproc limit to 32768 at start, and runc (podman's child) cannot give a
# container more than that. crun refuses this machine's hybrid cgroup layout; runc runs.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
conf=/etc/containers/containers.conf.d/50-gracie-ci.conf
mkdir -p "$(dirname "$conf")"
want="# written by gracie's test/container/engine-setup.sh
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]
[engine]
runtime = \"runc\""
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  log "writing $conf"
  printf '%s\n' "$want" >"$conf"
fi

label_of() { podman image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# ---- localhost/debian:bookworm, from Debian's archive ----
# The mirror this machine's apt uses (the only one reachable).
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
debian_recipe="debootstrap minbase bookworm $mirror v1"
if [ "$(label_of localhost/debian:bookworm gracie.recipe)" != "$debian_recipe" ]; then
  log "making localhost/debian:bookworm with debootstrap from $mirror (about a minute)"
  rootfs=$(mktemp -d /var/tmp/gracie-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  # Like the official debian:bookworm-slim: no apt lists, no docs, sources pointing at the same mirror.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | podman import --change "LABEL gracie.recipe=\"$debian_recipe\"" \
    --change 'CMD ["bash"]' - localhost/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# The same image stands in for docker.io/library/debian:bookworm-slim, the base of the examples without Node.
podman tag localhost/debian:bookworm docker.io/library/debian:bookworm-slim

# ---- docker.io/library/node:<major>-bookworm-slim, from the Node that runs the tests ----
# The official image's layout: node in /usr/local/bin, npm in /usr/local/lib/node_modules with npm/npx links, user
# `node` (uid 1000), docker-entrypoint.sh, CMD ["node"]. One addition the official image lacks: this machine's
# TLS proxy re-signs the npm registry, so the image carries the host's CA bundle and points NODE_EXTRA_CA_CERTS
# at it (an `npm ci` in a RUN step fails with SELF_SIGNED_CERT_IN_CHAIN otherwise).
node_bin=$(readlink -f "$(command -v node)")
node_version=$(node -p process.versions.node)
node_major=${node_version%%.*}
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
ca_bundle=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
node_image=docker.io/library/node:${node_major}-bookworm-slim
node_recipe="node $node_version npm $(node -p "require('$npm_dir/package.json').version") ca $(sha256sum "$ca_bundle" | cut -c1-16) v1"
if [ "$(label_of "$node_image" gracie.recipe)" != "$node_recipe" ]; then
  log "making $node_image from $node_bin ($node_version)"
  ctx=$(mktemp -d /var/tmp/gracie-node-image.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  cp "$ca_bundle" "$ctx/ca-certificates.crt"
  cat >"$ctx/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
# Run command with node if the first argument contains a "-" or is not a system command (the official image's).
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
SH
  chmod +x "$ctx/docker-entrypoint.sh"
  cat >"$ctx/Containerfile" <<CF
FROM localhost/debian:bookworm
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=$node_version
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
COPY ca-certificates.crt /usr/local/share/gracie-ci/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/gracie-ci/ca-certificates.crt
COPY docker-entrypoint.sh /usr/local/bin/
LABEL gracie.recipe="$node_recipe"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
CF
  podman build --pull=never -q -t "$node_image" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
fi
log "ready: podman $(podman --version | awk '{print $3}'), localhost/debian:bookworm (also debian:bookworm-slim), $node_image"
