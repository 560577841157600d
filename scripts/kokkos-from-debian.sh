# shellcheck shell=bash
# shellcheck disable=SC2154  # say, die, root, patch_dir, build_root, prefix, force: the sourcing script's
# Sourced by scripts/build-kokkos-cuda.sh and scripts/build-kokkos-hip.sh:
# what building Kokkos 3.4.1 and Kokkos Kernels from Debian's trilinos source
# has in common whatever the GPU backend. The sourcing script defines say,
# die, root, patch_dir, build_root, prefix and force first.

trilinos_version="13.2.0"   # Debian 12's trilinos, which carries Kokkos 3.4.1
src_cache="$root/.deps/src"

need() {  # need <command> <how to get it>
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root or sudo to run: $*"
  fi
}

# runs "$@" with its output in <log>; on failure shows the log's tail and
# stops with <what failed>.
logged() {  # logged <log> <what failed> <command...>
  local log="$1" failure="$2"
  shift 2
  "$@" >"$log" 2>&1 || { tail -30 "$log" >&2; die "$failure; full log: $log"; }
}

# --- The arguments Strata's build needs --------------------------------------
write_cmake_args() {  # write_cmake_args <kokkos prefix> <kernels prefix> <compiler> <build dir>
  local args=(-DCMAKE_CXX_COMPILER="$3" -DKokkos_ROOT="$1" -DKokkosKernels_ROOT="$2")
  printf '%s\n' "${args[@]}" > "$prefix/strata-cmake-args.txt"
  say "configure Strata with (also in $prefix/strata-cmake-args.txt):"
  echo "  cmake -S . -B $4 -DCMAKE_BUILD_TYPE=Release ${args[*]}"
}

# --- A site's own Kokkos ---------------------------------------------------------
# Finds and checks a Kokkos install with <backend macro> (KOKKOS_ENABLE_CUDA,
# ...) and its Kokkos Kernels; sets site_config, site_kernels_config and
# site_kernels_header. The hints name the Spack specs that provide them.
find_site_kokkos() {  # find_site_kokkos <kokkos root> <kernels root> <macro> <spack kokkos> <spack kernels>
  local kroot="$1" kkroot="$2" header
  [[ -d "$kroot" ]] || die "--kokkos-root $kroot is not a directory"
  site_config="$(find "$kroot" -path '*/cmake/Kokkos/KokkosConfig.cmake' -print -quit 2>/dev/null)"
  header="$(find "$kroot" -name KokkosCore_config.h -print -quit 2>/dev/null)"
  [[ -n "$site_config" && -n "$header" ]] ||
    die "$kroot holds no Kokkos install (lib*/cmake/Kokkos/KokkosConfig.cmake and KokkosCore_config.h). Point --kokkos-root at the prefix of 'spack location -i kokkos' or the module's root."
  grep -q "^#define $3\\b" "$header" ||
    die "the Kokkos in $kroot lacks its GPU backend ($header has no $3). Use such a build (Spack: $4) or run this script without --kokkos-root."
  site_kernels_config="$(find "$kkroot" -path '*/cmake/KokkosKernels/KokkosKernelsConfig.cmake' -print -quit 2>/dev/null)"
  site_kernels_header="$(find "$kkroot" -name KokkosKernels_config.h -print -quit 2>/dev/null)"
  [[ -n "$site_kernels_config" && -n "$site_kernels_header" ]] ||
    die "no Kokkos Kernels in $kkroot (lib*/cmake/KokkosKernels/KokkosKernelsConfig.cmake). Install it against this Kokkos (Spack: $5) and pass --kokkos-kernels-root <its prefix>."
}

# --- Debian's source, cached -----------------------------------------------------
fetch_source() {
  local tarball="$src_cache/trilinos_${trilinos_version}.orig.tar.gz"
  if [[ -f "$tarball" ]]; then
    say "using cached $tarball"
    return
  fi
  need apt-get "This default mode needs Debian's apt; elsewhere pass --kokkos-root <your Kokkos>."
  need dpkg-source "apt-get install dpkg-dev"
  if ! apt-cache showsrc trilinos 2>/dev/null | grep -q '^Package: trilinos'; then
    local list=/etc/apt/sources.list.d/strata-deb-src.sources
    say "enabling Debian source packages in $list"
    as_root tee "$list" >/dev/null <<'SOURCES'
# Added by Strata's scripts/build-kokkos-*.sh for `apt-get source trilinos`.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    as_root apt-get update -q
  fi
  apt-cache showsrc trilinos 2>/dev/null | grep -q "^Version: ${trilinos_version}-" ||
    die "apt offers no trilinos ${trilinos_version} source; the patches are for Debian 12 (bookworm)'s Kokkos 3.4.1. On another release use --kokkos-root."
  mkdir -p "$src_cache"
  # apt checks the .dsc signature chain and every file's checksum. Unpacking
  # all of Trilinos is not needed, so download only and take two packages.
  (cd "$src_cache" && apt-get source --download-only trilinos)
  [[ -f "$tarball" ]] || die "apt-get source left no $tarball"
}

unpack_and_patch() {
  local tarball="$src_cache/trilinos_${trilinos_version}.orig.tar.gz"
  local top="Trilinos-trilinos-release-${trilinos_version//./-}"
  # The build folders go too: a CMake cache made from another checkout's
  # path (a moved clone, a worktree) refuses to configure.
  rm -rf "$build_root/src" "$build_root/kokkos" "$build_root/kokkos-kernels"
  mkdir -p "$build_root/src"
  say "unpacking packages/kokkos and packages/kokkos-kernels"
  tar -xzf "$tarball" -C "$build_root/src" --strip-components=2 \
    "$top/packages/kokkos" "$top/packages/kokkos-kernels" ||
    die "$tarball lacks $top/packages/kokkos*; delete it and rerun to fetch it again"
  grep -q 'set(Kokkos_VERSION_MINOR 4)' "$build_root/src/kokkos/CMakeLists.txt" ||
    die "the unpacked Kokkos is not 3.4; the patches in $patch_dir are for 3.4.1"
  local p
  for p in "$patch_dir"/*.patch; do
    patch -d "$build_root/src/kokkos" -p1 --forward --dry-run --quiet < "$p" >/dev/null ||
      die "patch $(basename "$p") does not apply to this Kokkos; it was written for Kokkos 3.4.1 in Debian's trilinos ${trilinos_version}"
    patch -d "$build_root/src/kokkos" -p1 --forward --quiet < "$p"
    say "applied $(basename "$p")"
  done
}

# Whether the prefix was built as <stamp> describes (and --force was not
# given); a stale stamp is removed, so a build that stops half way leaves
# none. The stamp names the compiler, the arch and the patches' checksum.
prefix_up_to_date() {  # prefix_up_to_date <stamp file> <stamp>
  if ((force == 0)) && [[ -f "$1" && "$(cat "$1")" == "$2" ]]; then
    say "$prefix is up to date ($2); --force rebuilds"
    return 0
  fi
  rm -f "$1"
  return 1
}

patches_checksum() {
  cat "$patch_dir"/*.patch | cksum | cut -d' ' -f1
}

# --- The check program -----------------------------------------------------------
# Configures and builds $patch_dir/check against the prefix's arguments into
# $build_root/check.
build_check_program() {
  local check_build="$build_root/check"
  say "compiling the check program against $prefix"
  rm -rf "$check_build"
  mkdir -p "$build_root"  # an up-to-date prefix skips the build that makes it
  local args
  mapfile -t args < "$prefix/strata-cmake-args.txt"
  cmake -S "$patch_dir/check" -B "$check_build" -DCMAKE_BUILD_TYPE=Release \
    "${args[@]}" >"$check_build.log" 2>&1 ||
    { tail -30 "$check_build.log" >&2; die "the check program did not configure against $prefix (log: $check_build.log)"; }
  cmake --build "$check_build" >>"$check_build.log" 2>&1 ||
    { tail -30 "$check_build.log" >&2; die "the check program did not compile or link against $prefix (log: $check_build.log)"; }
}
