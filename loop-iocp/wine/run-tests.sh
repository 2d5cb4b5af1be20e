#!/usr/bin/env bash
# Runs loop-iocp's tests (its own and the conformance suite on the iocp backend) on Linux, under Wine
# with a Windows JRE, in one JVM through the JUnit Platform console launcher.
#
#   loop-iocp/wine/run-tests.sh [console-launcher selectors instead of the whole package, e.g.
#                                --select-class dev.weft.loop.iocp.LoopbackTcpTest]
#
#   A method order printed as "random, seed N" is repeated with
#   loop-iocp/wine/run-tests.sh --select-package dev.weft.loop.iocp --config=junit.jupiter.execution.order.random.seed=N
#
# 1. loop-iocp/wine/setup.sh makes Wine and the JRE ready (or the run is skipped). It keeps them in
#    <repository>/.cache/wine; with WEFT_WINE_CACHE=DIR (.ci/run sets ~/.cache/weft/wine) that
#    folder, when absent, is made a link to DIR, so that a fresh clone uses the JRE and the Wine
#    prefix an earlier run set up instead of fetching, unpacking and creating them again.
# 2. Maven builds afresh (clean), on Linux, loop-api (and its test-jar, which holds the conformance suite) and
#    loop-iocp (classes and test classes), and writes loop-iocp's test class path. With
#    WEFT_REUSE_BUILD=1 (.ci/run sets it when `mvn -B verify` of this tree passed just before) it
#    does not clean: the reactor's target/ outputs of that build are used as they are (no source that
#    is not newer than its classes recompiled, no gcc run, no sources jar).
# 3. The Windows JRE runs org.junit.platform.console.ConsoleLauncher (junit-platform-console-standalone
#    1.11.4) with those jars, JNA and Agrona on its class path, selecting package dev.weft.loop.iocp.
#    Why one JVM and no Surefire: the JRE has no java.management, which Surefire's forked booter needs,
#    and a JVM start under Wine takes seconds.
#
# Prints the launcher's tree and summary (test counts); XML reports go to loop-iocp/target/wine-reports.
# Exit status: the launcher's (0 all passed, 1 a test failed, 2 no tests found), 1 when the build
# fails, 124 on time-out (WEFT_WINE_TIMEOUT seconds, default 1200). When Wine, the JRE or Maven cannot
# be set up here it prints one line "skipped: <reason>" and exits 0.
#
# Environment: WEFT_WINE_TIMEOUT, WEFT_WINE_TEST_TIMEOUT, WEFT_WINE_STALL, WEFT_WINE_DETAILS (launcher --details: tree, summary, flat...),
# WEFT_MVN (default mvn), WEFT_WINE_CACHE, WEFT_REUSE_BUILD.
set -u

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SKIPPED=3
CONSOLE_VERSION=1.11.4
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

if [ -n "${WEFT_WINE_CACHE:-}" ] && [ ! -e "$ROOT/.cache/wine" ] && [ ! -L "$ROOT/.cache/wine" ]; then
  if mkdir -p "$WEFT_WINE_CACHE" "$ROOT/.cache" && ln -s "$WEFT_WINE_CACHE" "$ROOT/.cache/wine"; then
    echo "Wine set-up: $ROOT/.cache/wine is a link to $WEFT_WINE_CACHE (shared by the runs of every clone)"
  fi
fi
setup_out="$("$SCRIPT_DIR/setup.sh" --skip-status "$SKIPPED")"
status=$?
printf '%s\n' "$setup_out"
if [ $status -eq $SKIPPED ]; then
  exit 0
elif [ $status -ne 0 ]; then
  exit $status
fi
# shellcheck source=/dev/null
. "$ROOT/.cache/wine/env.sh"

MVN="${WEFT_MVN:-mvn}"
command -v "$MVN" >/dev/null 2>&1 || { echo "skipped: Maven ($MVN) is not installed"; exit 0; }

OUT="$ROOT/loop-iocp/target/wine"
mkdir -p "$OUT"
BUILD_LOG="$OUT/build.log"

if [ "${WEFT_REUSE_BUILD:-0}" = 1 ]; then
  # The default (incremental) compile recompiles a whole module when a jar it depends on was
  # rewritten in this build, which packaging alone does; the sources are those just compiled.
  GOALS=(-Dmaven.compiler.useIncrementalCompilation=false -Dmaven.antrun.skip=true -Dmaven.source.skip=true package)
else
  GOALS=(clean package)
fi
# Offline first (dependencies are usually in ~/.m2 already), then online once if something is missing.
# One Maven run: the console launcher is copied once per module of the reactor, each time to one file.
# The log is written outside target/, which clean removes, and moved to $BUILD_LOG after.
build() {
  local log status
  log="$(mktemp)"
  "$MVN" "$@" -q -B -f "$ROOT/pom.xml" -pl loop-iocp -am -DskipTests \
    "${GOALS[@]}" "$DEPENDENCY_PLUGIN:build-classpath" "$DEPENDENCY_PLUGIN:copy" \
    -Dmdep.outputFile=target/wine/classpath.txt -DincludeScope=test \
    -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
    -Dartifact=org.junit.platform:junit-platform-console-standalone:$CONSOLE_VERSION \
    -DoutputDirectory="$OUT" >"$log" 2>&1
  status=$?
  mkdir -p "$OUT" && mv "$log" "$BUILD_LOG"
  return $status
}
echo "building loop-api and loop-iocp with Maven (log: ${BUILD_LOG#"$ROOT"/})"
if ! build -o; then
  if ! build; then
    tail -n 40 "$BUILD_LOG"
    echo "error: the Maven build failed, see $BUILD_LOG"
    exit 1
  fi
fi

CONSOLE_JAR="$OUT/junit-platform-console-standalone-$CONSOLE_VERSION.jar"
[ -f "$CONSOLE_JAR" ] || { echo "error: $CONSOLE_JAR is missing after the build"; exit 1; }
[ -s "$OUT/classpath.txt" ] || { echo "error: no class path was written to $OUT/classpath.txt"; exit 1; }

# Wine maps / to drive Z:, and the Windows JRE takes forward slashes. The class path goes into an
# argument file: Windows limits a command line to 32767 characters.
to_windows() {
  printf 'Z:%s' "$1"
}
# loop-iocp's classes go on the class path as folders, not jars: the JRE has no jdk.zipfs module, so
# the launcher cannot open a jar as a file system to find the test classes of a package in it.
for dir in "$ROOT/loop-iocp/target/test-classes" "$ROOT/loop-iocp/target/classes"; do
  [ -d "$dir" ] || { echo "error: $dir is missing after the build"; exit 1; }
done
classpath="$(to_windows "$ROOT/loop-iocp/target/test-classes");$(to_windows "$ROOT/loop-iocp/target/classes")"
IFS=':' read -r -a deps < "$OUT/classpath.txt"
for dep in "${deps[@]}"; do
  classpath="$classpath;$(to_windows "$dep")"
done
classpath="$classpath;$(to_windows "$CONSOLE_JAR")"

# The JVM flags come from the parent pom's weft.jvm.flags, the one place they are kept.
jvm_flags="$(sed -n 's:.*<weft.jvm.flags>\(.*\)</weft.jvm.flags>.*:\1:p' "$ROOT/pom.xml")"
ARGS="$OUT/java-args.txt"
{
  echo "-cp"
  echo "\"$classpath\""
  for flag in $jvm_flags; do echo "$flag"; done
  echo "-Dfile.encoding=UTF-8"
} > "$ARGS"

# Each test method runs on a thread of its own and fails after WEFT_WINE_TEST_TIMEOUT seconds (default
# 300; the slowest takes about 60 under load), so that one stuck test fails alone instead of holding the
# whole run until WEFT_WINE_TIMEOUT. Before that, at weft.test.stall.seconds (120), StallWatch (found
# by extension autodetection) prints the stuck test's name and every thread's stack.
configs=(
  --config=junit.jupiter.extensions.autodetection.enabled=true
  --config=weft.test.stall.seconds="${WEFT_WINE_STALL:-120}"
  --config=junit.jupiter.execution.timeout.testable.method.default="${WEFT_WINE_TEST_TIMEOUT:-300}s"
  --config=junit.jupiter.execution.timeout.thread.mode.default=SEPARATE_THREAD
)

# Arguments replace the default selection (every test class in package dev.weft.loop.iocp).
if [ $# -gt 0 ]; then
  selectors=("$@")
else
  selectors=(--select-package dev.weft.loop.iocp)
fi

REPORTS="$ROOT/loop-iocp/target/wine-reports"
rm -rf "$REPORTS"
# setup.sh has just run the JRE's -version under Wine ("ready: <its first line> (Wine ...)").
java_line="$(printf '%s\n' "$setup_out" | sed -n 's/^ready: \(.*\) (Wine .*/\1/p' | head -n 1)"
[ -n "$java_line" ] || java_line="$("$WINE" "$WINE_JAVA" -version 2>&1 | head -n 1)"
echo "running dev.weft.loop.iocp tests under $("$WINE" --version) on $java_line"
# Run from drive C: of the prefix. From a Linux folder (drive Z:) a path like /proc/self/fd would
# resolve to Z:\proc\self\fd, the Wine process's Linux descriptors, which the suite would take for
# Windows handles; on C: it does not exist, as on Windows.
cd "$WINEPREFIX/drive_c" || exit 1
timeout -k 10 "${WEFT_WINE_TIMEOUT:-1200}" "$WINE" "$WINE_JAVA" "@$(to_windows "$ARGS")" \
  org.junit.platform.console.ConsoleLauncher execute \
  --disable-banner --disable-ansi-colors --fail-if-no-tests \
  --details="${WEFT_WINE_DETAILS:-tree}" \
  --reports-dir="$(to_windows "$REPORTS")" \
  "${configs[@]}" "${selectors[@]}"
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "error: the Wine run timed out after ${WEFT_WINE_TIMEOUT:-1200} s"
  # Only this prefix's Wine processes: wineserver -k ends the programs of WINEPREFIX.
  wineserver_bin="$(dirname "$WINE")/wineserver"
  [ -x "$wineserver_bin" ] && WINEPREFIX="$WINEPREFIX" "$wineserver_bin" -k 2>/dev/null
  exit 124
fi
exit $status
