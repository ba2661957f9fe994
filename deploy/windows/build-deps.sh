#!/usr/bin/env bash
# Builds what kerbside-agent.exe links (gRPC, protobuf, Abseil, c-ares, re2, OpenSSL, fmt,
# spdlog, pugixml, nlohmann-json, CLI11, GoogleTest, libcsv) for Windows x64, static, from Debian
# bookworm's own source packages, with Debian's mingw-w64 (-posix) and no patches of ours.
#
# The result is a prefix in a cache outside the tree, keyed by this script, the toolchain file,
# every source package's version and the compiler's version: it is rebuilt only when one of
# them changes. Prints the prefix on its last line (stdout); progress goes to stderr.
#
#   deploy/windows/build-deps.sh            # build if needed, print the prefix
#   KERBSIDE_WINDEPS_CACHE=DIR ...          # default /var/cache/kerbside/windeps
#   KERBSIDE_JOBS=N ...                     # default 2
#
# Needs root only to add a deb-src entry when none is configured (apt-get source needs one).
# From scratch it takes about 1900 CPU-seconds; ccache (in the cache folder) keeps the objects
# for the next change of key.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
toolchain=$here/mingw-w64-x86_64.cmake
cache=${KERBSIDE_WINDEPS_CACHE:-/var/cache/kerbside/windeps}
jobs=${KERBSIDE_JOBS:-2}
triple=x86_64-w64-mingw32
sources=(abseil protobuf c-ares re2 openssl grpc fmtlib spdlog pugixml nlohmann-json3 cli11
         googletest libcsv)

say() { printf 'build-deps: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in cmake ninja ccache python3 perl "$triple-g++-posix" "$triple-gcc-posix" protoc \
            grpc_cpp_plugin apt-get dpkg-source; do
  command -v "$tool" >/dev/null || die "missing $tool (run deploy/install-deps.sh)"
done
[ -f "/usr/$triple/lib/libz.a" ] || die "missing /usr/$triple/lib/libz.a (libz-mingw-w64-dev)"
python3 -c 'import six' 2>/dev/null || die "python3 lacks six (python3-six): re2's table generator"

# apt-get source needs a deb-src entry: the same mirrors, suites and key as the deb entries.
if ! apt-get source --print-uris -q abseil >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "no deb-src entry configured and not root to add one"
  src_list=/etc/apt/sources.list.d/kerbside-deb-src.sources
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src_list"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
      >/etc/apt/sources.list.d/kerbside-deb-src.list
  else
    die "no apt sources found to derive a deb-src entry from"
  fi
  say "added a deb-src entry; apt-get update"
  apt-get update -q >/dev/null || die "apt-get update failed"
fi

# Download the source packages (cheap: ~45 MB, kept between runs). A package whose newest version
# cannot be fetched (a security mirror that lacks the .dsc, say) falls back to the bookworm
# release's version, and says so.
downloads=$cache/downloads
mkdir -p "$downloads"
declare -A dsc_of
dscs=""
for pkg in "${sources[@]}"; do
  got=""
  for spec in "$pkg" "$pkg/bookworm"; do
    dsc=$(apt-get source --print-uris -q "$spec" 2>/dev/null | awk '$2 ~ /\.dsc$/ {print $2}' | head -n 1)
    [ -n "$dsc" ] || continue
    if [ -f "$downloads/$dsc" ] ||
       (cd "$downloads" && apt-get source --download-only -q "$spec" >>"$downloads/apt.log" 2>&1); then
      got=$dsc
      [ "$spec" = "$pkg" ] || say "$pkg: newest version not downloadable, using bookworm's $dsc"
      break
    fi
  done
  [ -n "$got" ] || die "cannot download the source of $pkg (see $downloads/apt.log)"
  dsc_of[$pkg]=$got
  dscs+="$got $(sha256sum "$downloads/$got" | cut -c1-64)"$'\n'
done

# The key: everything that changes the result.
key=$( {
  cat "$0" "$toolchain"
  printf '%s' "$dscs"
  "$triple-g++-posix" --version | head -n 1
  dpkg-query -W -f='${Version}\n' mingw-w64-x86-64-dev libz-mingw-w64-dev 2>/dev/null || true
} | sha256sum | cut -c1-16)
# Every build happens at the same path ($cache/work) and the result is moved to $cache/$key:
# the compile commands stay the same from one key to the next, so ccache serves what did not
# change. CMake's exported targets are relocatable (paths relative to the config file).
final=$cache/$key/prefix
top=$cache/work
prefix=$top/prefix

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9  # two builds at once would share one work folder

if [ -f "$final/.kerbside-complete" ]; then
  say "cached: $final"
  echo "$final"
  exit 0
fi

say "building for key $key in $top; logs in $top/logs"
rm -rf "$top"
mkdir -p "$top/src" "$top/build" "$top/logs" "$prefix"
export CCACHE_DIR=${KERBSIDE_CCACHE_DIR:-$cache/ccache}
export CCACHE_BASEDIR=$top
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-3G}

# No build paths in the binaries (logs and assertions print __FILE__).
common_flags="-ffile-prefix-map=$top/src=/src -Wa,-mbig-obj"

step() {
  local name=$1
  shift
  local t0=$SECONDS rc=0
  # In the background, not in an `if`: bash ignores set -e inside a function called as a
  # condition, which would let a failed command in the middle of a build pass unnoticed.
  "$@" >"$top/logs/$name.log" 2>&1 &
  wait $! || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$top/logs/$name.log" >&2
    die "$name failed with exit code $rc (full log: $top/logs/$name.log)"
  fi
  say "$name: $((SECONDS - t0)) s"
}

unpack_sources() {
  local pkg
  for pkg in "${sources[@]}"; do
    dpkg-source --no-check -x "$downloads/${dsc_of[$pkg]}" "$top/src/$pkg"
  done
}

srcdir() {
  [ -d "$top/src/$1" ] || die "no unpacked source for $1"
  echo "$top/src/$1"
}

cmake_build() {
  local name=$1 src=$2
  shift 2
  local bld=$top/build/$name
  nice -n 10 cmake -S "$src" -B "$bld" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DKERBSIDE_WINDEPS_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_PREFIX_PATH="$prefix" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_C_FLAGS="$common_flags" -DCMAKE_CXX_FLAGS="$common_flags" "$@"
  nice -n 10 cmake --build "$bld" -j "$jobs"
  cmake --install "$bld"
  rm -rf "$bld"
}

build_abseil() {
  cmake_build abseil "$(srcdir abseil)" -DCMAKE_CXX_STANDARD=17 -DABSL_PROPAGATE_CXX_STD=ON \
    -DABSL_ENABLE_INSTALL=ON -DABSL_BUILD_TESTING=OFF
}

build_protobuf() {
  local src
  src=$(srcdir protobuf)
  [ -f "$src/CMakeLists.txt" ] || src=$src/cmake
  cmake_build protobuf "$src" -DCMAKE_CXX_STANDARD=17 -Dprotobuf_BUILD_TESTS=OFF \
    -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_WITH_ZLIB=OFF \
    -Dprotobuf_BUILD_EXAMPLES=OFF -Dprotobuf_INSTALL=ON
}

build_cares() {
  # Debian's backport of the CVE-2023-31130 fix uses INADDRSZ, which <arpa/nameser.h> defines on
  # Linux and nothing defines on Windows (c-ares' own Windows config has NS_INADDRSZ only): the
  # same value, given on the command line rather than by patching the source.
  cmake_build c-ares "$(srcdir c-ares)" -DCARES_STATIC=ON -DCARES_SHARED=OFF \
    -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF -DCMAKE_C_FLAGS="$common_flags -DINADDRSZ=4"
}

build_re2() {
  local src
  src=$(srcdir re2)
  # Debian's cleaned tarball drops the generated tables; Debian's rules regenerate them
  # (REBUILD_TABLES=1) from the unicode-data package, which its own patch points unicode.py at.
  (cd "$src" &&
    perl re2/make_perl_groups.pl >re2/perl_groups.cc &&
    python3 re2/make_unicode_casefold.py >re2/unicode_casefold.cc &&
    python3 re2/make_unicode_groups.py >re2/unicode_groups.cc)
  cmake_build re2 "$src" -DCMAKE_CXX_STANDARD=17 -DRE2_BUILD_TESTING=OFF
}

build_openssl() {
  local src bld=$top/build/openssl
  src=$(srcdir openssl)
  rm -rf "$bld"
  cp -a "$src" "$bld"
  cd "$bld"
  # --openssldir is where OpenSSL looks for openssl.cnf: a folder only administrators can write
  # (a user-writable one is a known privilege escalation on Windows, CVE-2019-1552).
  CC="ccache $triple-gcc-posix" AR=$triple-ar RANLIB=$triple-ranlib RC=$triple-windres \
    CFLAGS="-ffile-prefix-map=$bld=/src/openssl" \
    nice -n 10 ./Configure mingw64 no-shared no-tests \
    --prefix="$prefix" --libdir=lib "--openssldir=C:/Program Files/Kerbside/ssl"
  nice -n 10 make -j "$jobs" build_libs
  make install_dev
  cd "$top"
  rm -rf "$bld"
}

build_grpc() {
  local src
  src=$(srcdir grpc)
  # Debian's tarball lacks opencensus-proto; an empty folder stops CMake from downloading it
  # (Debian's own build does not use it either).
  mkdir -p "$src/third_party/opencensus-proto/src"
  cmake_build grpc "$src" -DCMAKE_CXX_STANDARD=17 \
    -DgRPC_INSTALL=ON -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=OFF \
    -DgRPC_BUILD_GRPC_CPP_PLUGIN=OFF -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF \
    -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
    -DgRPC_PROTOBUF_PROVIDER=package -DgRPC_PROTOBUF_PACKAGE_TYPE=CONFIG \
    -DgRPC_SSL_PROVIDER=package -DOPENSSL_USE_STATIC_LIBS=ON -DOPENSSL_ROOT_DIR="$prefix" \
    -DgRPC_ZLIB_PROVIDER=package -DZLIB_LIBRARY="/usr/$triple/lib/libz.a" \
    -DZLIB_INCLUDE_DIR="/usr/$triple/include" -DgRPC_BENCHMARK_PROVIDER=none
}

build_libcsv() {
  # One C file and its header; Debian builds it with autotools, which adds nothing here.
  local src
  src=$(srcdir libcsv)
  (cd "$src" &&
    nice -n 10 ccache "$triple-gcc-posix" -O2 -ffile-prefix-map="$src=/src/libcsv" -c libcsv.c \
      -o "$top/build/libcsv.o" &&
    "$triple-ar" rcs "$prefix/lib/libcsv.a" "$top/build/libcsv.o" &&
    install -m 0644 csv.h "$prefix/include/csv.h")
}

build_small() {
  cmake_build fmt "$(srcdir fmtlib)" -DFMT_DOC=OFF -DFMT_TEST=OFF
  cmake_build spdlog "$(srcdir spdlog)" -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_EXAMPLE=OFF \
    -DSPDLOG_BUILD_TESTS=OFF -DSPDLOG_BUILD_BENCH=OFF
  cmake_build pugixml "$(srcdir pugixml)" -DPUGIXML_BUILD_TESTS=OFF
  cmake_build nlohmann-json "$(srcdir nlohmann-json3)" -DJSON_BuildTests=OFF -DJSON_Install=ON
  cmake_build cli11 "$(srcdir cli11)" -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF \
    -DCLI11_BUILD_DOCS=OFF
  cmake_build googletest "$(srcdir googletest)" -Dgtest_disable_pthreads=OFF
  build_libcsv
}

t_all=$SECONDS
step sources unpack_sources
step abseil build_abseil
step protobuf build_protobuf
step c-ares build_cares
step re2 build_re2
step openssl build_openssl
step grpc build_grpc
step small-libraries build_small
printf '%s\n' "$dscs" >"$prefix/.kerbside-sources"
touch "$prefix/.kerbside-complete"
rm -rf "$cache/$key"
mkdir -p "$cache/$key"
mv "$prefix" "$final"
mv "$top/logs" "$cache/$key/logs"
rm -rf "$top"
say "done in $((SECONDS - t_all)) s: $(du -sh "$final" | cut -f1)"
echo "$final"
