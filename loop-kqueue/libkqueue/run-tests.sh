#!/usr/bin/env bash
# Runs loop-kqueue's tests on Linux against libkqueue (a user-space kqueue over epoll): the
# conformance suite, the allocation test, the suite of each other transport family the backend
# declares (see loop-kqueue/README.md), the poller and layout tests, and loop-api's task suite
# (JDK 17, and JDK 21+ in virtual-thread and hand-off modes when that JDK is installed), all with
# the kqueue backend loading that library.
#
#   loop-kqueue/libkqueue/run-tests.sh [extra Maven arguments, e.g. -Dtest=... -Dsurefire.failIfNoSpecifiedTests=false]
#   loop-kqueue/libkqueue/run-tests.sh --reuse-reports MARKER
#
# --reuse-reports MARKER (what .ci/run passes after `mvn -B verify` passed): once the library is in
# the cache, a plain `mvn -B verify` runs these same tests with it (loop-kqueue's pom points at the
# cache). When loop-kqueue/target/surefire-reports holds reports all written after the file MARKER,
# each naming this library in weft.kqueue.library, with tests that passed and none that failed,
# the script sums those instead of running the same tests with the same library again. Otherwise
# it runs them as below.
#
# 1. Fetches Debian's libkqueue (only in the experimental suite: 2.3.1) with apt-get download,
#    through a private apt configuration (its own sources list, lists and cache under the cache
#    folder; the system's apt state is not touched and nothing is installed), unpacks it with
#    dpkg-deb -x and keeps libkqueue.so.0 in the cache folder:
#    $WEFT_KQUEUE_CACHE, default ~/.cache/weft/libkqueue (a later run reuses it).
#    The archive is the Debian mirror the system's apt sources already name.
# 2. Runs Maven on loop-kqueue (its reactor builds loop-api and loop-nio, without their tests,
#    javadoc or sources jars) with -Dweft.kqueue.library=<cache>/libkqueue.so.0; loop-kqueue's pom
#    runs its tests and the task suite executions with -Dweft.test.backend=kqueue.
# 3. Prints Surefire's counts and one closing line "kqueue: N passed, N failed, N skipped" summed
#    over loop-kqueue's reports.
#
# Exit status: Maven's (a failed test fails), 1 when no test passed. When libkqueue cannot be set up
# here (no apt-get or dpkg-deb, no Debian mirror, the package cannot be fetched, no Maven) it prints
# one line "skipped: <reason>" and exits 0.
#
# Environment: WEFT_KQUEUE_CACHE, WEFT_MVN (default mvn), WEFT_KQUEUE_PACKAGES (package names to
# try, default "libkqueue0t64 libkqueue0"), WEFT_REUSE_BUILD=1 (set by .ci/run when `mvn -B verify`
# of this tree passed in the same run: Maven recompiles no source that is not newer than its classes
# and runs no gcc; the reactor's target/ outputs are used as they are).
set -u

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE="${WEFT_KQUEUE_CACHE:-$HOME/.cache/weft/libkqueue}"
LIB="$CACHE/libkqueue.so.0"
MVN="${WEFT_MVN:-mvn}"
PACKAGES="${WEFT_KQUEUE_PACKAGES:-libkqueue0t64 libkqueue0}"
REPORTS="$ROOT/loop-kqueue/target/surefire-reports"

REUSE_SINCE=""
if [ "${1:-}" = "--reuse-reports" ]; then
  [ $# -ge 2 ] && [ -f "$2" ] || { echo "error: --reuse-reports needs an existing marker file, got '${2:-}'"; exit 1; }
  REUSE_SINCE="$2"
  shift 2
fi

skip() {
  echo "skipped: $*"
  exit 0
}

[ "$(uname -s)" = Linux ] || skip "libkqueue runs are for Linux (this is $(uname -s))"
command -v "$MVN" >/dev/null 2>&1 || skip "Maven ($MVN) is not installed"

# The Debian mirror of the system's own apt sources (deb822 .sources or one-line .list files).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "${uri%/}"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp):\/\/.*\/debian\/?$/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "${uri%/}"; return 0; }
  done
  return 1
}

fetch() {
  command -v apt-get >/dev/null 2>&1 || skip "libkqueue is not in $CACHE and apt-get is not installed to fetch it"
  command -v dpkg-deb >/dev/null 2>&1 || skip "libkqueue is not in $CACHE and dpkg-deb is not installed to unpack it"
  local mirror keyring apt opts pkg deb
  mirror=$(debian_mirror) || skip "no Debian mirror in the system's apt sources to fetch libkqueue from"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || skip "no Debian archive keyring ($keyring) to check the experimental suite with"
  apt="$CACHE/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc" "$CACHE/deb" || skip "cannot write $CACHE"
  echo "deb [signed-by=$keyring] $mirror experimental main" >"$apt/etc/sources.list"
  opts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=$apt/etc/none"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "Dir::State::status=/dev/null"
        -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  echo "fetching libkqueue from Debian's experimental suite (private apt configuration in ${apt})"
  apt-get -q "${opts[@]}" update >"$CACHE/apt-update.log" 2>&1 \
    || skip "apt-get update of the experimental suite failed (see $CACHE/apt-update.log)"
  for pkg in $PACKAGES; do
    if (cd "$CACHE/deb" && apt-get -q "${opts[@]}" download "$pkg") >"$CACHE/apt-download.log" 2>&1; then
      deb=$(ls -t "$CACHE/deb/${pkg}"_*.deb 2>/dev/null | head -n 1)
      break
    fi
  done
  [ -n "${deb:-}" ] || skip "none of the packages '$PACKAGES' could be downloaded (see $CACHE/apt-download.log)"
  rm -rf "$CACHE/root"
  dpkg-deb -x "$deb" "$CACHE/root" || skip "dpkg-deb could not unpack $deb"
  local so
  so=$(find "$CACHE/root" -name 'libkqueue.so.0*' -type f | head -n 1)
  [ -n "$so" ] || skip "$deb holds no libkqueue.so.0"
  cp "$so" "$LIB.tmp" && mv "$LIB.tmp" "$LIB" || skip "cannot copy $so to $LIB"
  echo "libkqueue: $(basename "$deb") unpacked; using $LIB"
}

if [ -f "$LIB" ]; then
  echo "libkqueue: using $LIB (cached; delete it to fetch again)"
else
  fetch
fi

# "tests failures errors skipped", summed over loop-kqueue's reports (every execution: own tests,
# task suite on each JDK and mode).
report_counts() {
  cat "$REPORTS"/TEST-*.xml 2>/dev/null \
    | grep -o '<testsuite [^>]*>' \
    | awk '{
        for (i = 1; i <= NF; i++) {
          if (match($i, /^tests="[0-9]+"/)) { split($i, a, "\""); t += a[2] }
          if (match($i, /^failures="[0-9]+"/)) { split($i, a, "\""); f += a[2] }
          if (match($i, /^errors="[0-9]+"/)) { split($i, a, "\""); e += a[2] }
          if (match($i, /^skipped="[0-9]+"/)) { split($i, a, "\""); s += a[2] }
        }
      } END { printf "%d %d %d %d\n", t, f, e, s }'
}

# True when the reports in $REPORTS are those of a run of these tests with $LIB after $REUSE_SINCE:
# the library was in the cache before it (so that run loaded it), every report was written after
# it and names the library, some test passed and none failed.
reports_reusable() {
  local f n=0 t f_ e s
  [ -n "$REUSE_SINCE" ] && [ "$LIB" -ot "$REUSE_SINCE" ] || return 1
  for f in "$REPORTS"/TEST-*.xml; do
    [ -f "$f" ] && [ "$f" -nt "$REUSE_SINCE" ] || return 1
    grep -qF "<property name=\"weft.kqueue.library\" value=\"$LIB\"/>" "$f" || return 1
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || return 1
  read -r t f_ e s < <(report_counts)
  [ $((f_ + e)) -eq 0 ] && [ $((t - f_ - e - s)) -gt 0 ]
}

if [ -n "$REUSE_SINCE" ] && reports_reusable; then
  echo "mvn -B verify already ran loop-kqueue's tests with -Dweft.kqueue.library=$LIB in this run"
  echo "(the library was in the cache): their reports are summed below, the tests are not run again"
  status=0
else
  [ -z "$REUSE_SINCE" ] || echo "mvn -B verify did not run loop-kqueue's tests with $LIB in this run (or not all passed)"
  echo "running loop-kqueue's tests with -Dweft.kqueue.library=$LIB"
  rm -rf "$REPORTS"
  # -DskipTests skips the tests of the modules the reactor builds on (loop-api, loop-nio);
  # -Dweft.kqueue.skipTests=false keeps loop-kqueue's. No javadoc or sources jar: `mvn -B verify`
  # checks those, and no test reads them. Offline first, then online once.
  SKIP=(-Dmaven.javadoc.skip=true -Dmaven.source.skip=true)
  if [ "${WEFT_REUSE_BUILD:-0}" = 1 ]; then
    # The reactor's target/ holds this tree built by `mvn -B verify` in this run: recompile no
    # source that is not newer than its classes (the default recompiles a module whenever a jar it
    # depends on was rewritten), and keep the JNI libraries that build made (no gcc).
    SKIP+=(-Dmaven.compiler.useIncrementalCompilation=false -Dmaven.antrun.skip=true)
  fi
  EXTRA=("$@")
  run_maven() {
    "$MVN" "$@" -B -f "$ROOT/pom.xml" -pl loop-kqueue -am verify -DskipTests -Dweft.kqueue.skipTests=false \
      "-Dweft.kqueue.library=$LIB" "${SKIP[@]}" ${EXTRA[@]+"${EXTRA[@]}"}
  }
  run_maven -o
  status=$?
  if [ $status -ne 0 ] && [ ! -d "$REPORTS" ]; then
    run_maven
    status=$?
  fi
fi

read -r tests failures errors skipped < <(report_counts)
passed=$((tests - failures - errors - skipped))
echo "kqueue under libkqueue ($(basename "$LIB")): ${tests} tests in $(ls "$REPORTS"/TEST-*.xml 2>/dev/null | wc -l) classes"
echo "kqueue: ${passed} passed, $((failures + errors)) failed, ${skipped} skipped"
if [ $status -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "error: no kqueue test passed (did libkqueue load? see loop-kqueue/target/surefire-reports)"
  status=1
fi
exit $status
