#!/usr/bin/env bash
# Builds and runs this project as a user of Weft would: against the published artifacts (weft-bom,
# loop-api, loop-epoll) of a local Maven repository, outside the reactor, with the JVM flags the
# README states and no others. Then shows that each flag is needed: a run without it fails, and
# says why.
#
#   loop-api/src/it/embedding/run.sh [--repo DIR]
#
# Without --repo the reactor is first installed (`mvn -B install -DskipTests`) into a new, throwaway
# local repository, removed at the end. The shared ~/.m2/repository is never written: it serves
# only as a read-only file:// mirror from which Maven copies the third-party artifacts it needs
# (no network). --repo DIR uses a local repository where the reactor is already installed.
# The install runs no test: `mvn -B verify` runs them all (.ci/run runs it first). With
# WEFT_REUSE_BUILD=1 (.ci/run sets it when that `mvn -B verify` of this tree passed) the install
# packages the reactor's target/ outputs as they are: no source that is not newer than its classes
# is recompiled (the default would recompile every module, the dependency jars being new copies in
# the throwaway repository) and gcc does not run again; the jars, sources and javadoc jars are
# made and installed as always.
#
# What runs, on JDK 17 and on a JDK 21+ (WEFT_JDK17, WEFT_JDK21: default the build's java and
# /usr/lib/jvm/temurin-25-jdk-amd64; a missing JDK is skipped with the reason):
#   - the README's embedding example (src/main/java/example/Echo.java, checked to be the README's
#     code) on the class path and as a named module on the module path, each with exactly the flags
#     of the README's matching block: it must print "serving on ...", echo a line sent to port 8007,
#     and print no JVM warning;
#   - TaskModeCheck with the same flags: on JDK 21+ tasks must run on virtual threads;
#   - the same without each flag in turn (on JDK 17 only the flag it needs): each run must fail.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
readme="$root/README.md"
port=8007

repo=""
if [ "${1:-}" = "--repo" ]; then
  repo="$(cd "$2" && pwd)"
fi

fail=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }

# --- the README's code and flags -------------------------------------------------------------------

# The first ```java block of the "## Embedding" section.
readme_example() {
  awk '/^## Embedding/{s=1} s&&/^```java/{j=1;next} j&&/^```/{exit} j{print}' "$readme"
}
# The flags of the fenced block after the line starting with $1, one a line, comments dropped.
readme_flags() {
  awk -v m="$1" 'index($0,m)==1{s=1;next} s&&/^```/{if(b)exit; b=1;next} b{sub(/#.*/,""); gsub(/^ +| +$/,""); if($0!="")print}' "$readme"
}

expected="$(printf 'package example;\n\n'; readme_example)"
if [ -z "$(readme_example)" ]; then
  bad "no java block under '## Embedding' in README.md"
elif ! diff <(printf '%s\n' "$expected") "$here/src/main/java/example/Echo.java" >/dev/null; then
  bad "src/main/java/example/Echo.java is not the README's embedding example (plus 'package example;'):"
  diff <(printf '%s\n' "$expected") "$here/src/main/java/example/Echo.java"
fi
mapfile -t cp_flags < <(readme_flags '**JVM flags an embedder needs')
mapfile -t mp_flags < <(readme_flags '**On the module path**')
[ ${#cp_flags[@]} -gt 0 ] || bad "no class-path flag block ('**JVM flags an embedder needs') in README.md"
[ ${#mp_flags[@]} -gt 0 ] || bad "no module-path flag block ('**On the module path**') in README.md"
say "class-path flags (README): ${cp_flags[*]}"
say "module-path flags (README): ${mp_flags[*]}"
[ $fail -eq 0 ] || exit 1

# --- install and build -----------------------------------------------------------------------------

work="$(mktemp -d "${TMPDIR:-/tmp}/weft-embedding.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat > "$work/settings.xml" <<EOF
<settings>
  <mirrors>
    <mirror>
      <id>local-m2-read-only</id>
      <mirrorOf>*</mirrorOf>
      <url>file://$HOME/.m2/repository</url>
    </mirror>
  </mirrors>
</settings>
EOF
version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/pom.xml" | head -1)"
bom_version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/loop-api/bom/pom.xml" | head -1)"
if [ "$version" != "$bom_version" ]; then
  bad "weft-bom's version ($bom_version) is not the reactor's ($version): loop-api/bom/pom.xml"
  exit 1
fi
mvn_user=(mvn -B -q -s "$work/settings.xml")
if [ -z "$repo" ]; then
  repo="$work/repository"
  say "== installing the reactor into $repo (third-party artifacts copied from ~/.m2, which is not written)"
  reuse=()
  if [ "${WEFT_REUSE_BUILD:-0}" = 1 ]; then
    reuse=(-Dmaven.compiler.useIncrementalCompilation=false -Dmaven.antrun.skip=true)
  fi
  if ! (cd "$root" && nice "${mvn_user[@]}" -Dmaven.repo.local="$repo" install -DskipTests ${reuse[@]+"${reuse[@]}"} \
        -pl loop-api/bom,loop-api,loop-nio,loop-epoll,loop-kqueue,loop-iocp -am); then
    bad "mvn install into $repo"
    exit 1
  fi
fi
say "== building the project against $repo (weft.version $version)"
rm -rf "$work/project" && mkdir -p "$work/project" && cp -r "$here/pom.xml" "$here/src" "$work/project/"
if ! (cd "$work/project" && nice "${mvn_user[@]}" -Dmaven.repo.local="$repo" -Dweft.version="$version" package); then
  bad "the project does not build against the installed artifacts"
  exit 1
fi
target="$work/project/target"
for a in loop-api loop-epoll; do
  [ -f "$repo/dev/weft/$a/$version/$a-$version-sources.jar" ] || bad "no $a-$version-sources.jar installed"
  [ -f "$repo/dev/weft/$a/$version/$a-$version-javadoc.jar" ] || bad "no $a-$version-javadoc.jar installed"
done

# --- running ---------------------------------------------------------------------------------------

# run JAVA PATHKIND FLAG...: runs Echo and TaskModeCheck; prints why and returns 1 if anything is wrong.
run() {
  local java="$1" kind="$2"; shift 2
  local launch_echo launch_check
  if [ "$kind" = classpath ]; then
    launch_echo=(-cp "$target/classes:$target/lib/*" example.Echo)
    launch_check=(-cp "$target/classes:$target/lib/*" example.TaskModeCheck)
  else
    launch_echo=(-p "$target/classes:$target/lib" -m example.embedding/example.Echo)
    launch_check=(-p "$target/classes:$target/lib" -m example.embedding/example.TaskModeCheck)
  fi
  local out="$work/out" err="$work/err" why=""
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "    port $port is taken by another process: cannot run the example"
    return 1
  fi
  "$java" "$@" "${launch_echo[@]}" >"$out" 2>"$err" &
  local pid=$!
  local i
  for i in $(seq 1 300); do
    grep -q "serving on" "$out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q "serving on" "$out"; then
    why="the example did not start: $(grep -m1 -E 'Exception|Error|error' "$err" || head -c 300 "$err")"
  else
    local line="weft-embedding-$$-$RANDOM" reply=""
    if exec 4<>"/dev/tcp/127.0.0.1/$port"; then
      printf '%s\n' "$line" >&4
      IFS= read -r -t 10 reply <&4
      exec 4>&-
    fi
    [ "$reply" = "$line" ] || why="no echo: sent '$line', got '$reply'"
  fi
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  local serving
  serving="$(grep -m1 "serving on" "$out")"
  if [ -z "$why" ] && grep -q "WARNING" "$err"; then
    why="the JVM warned: $(grep -m1 "WARNING" "$err")"
  fi
  if [ -z "$why" ]; then
    if ! "$java" "$@" "${launch_check[@]}" >"$out" 2>"$err"; then
      why="TaskModeCheck: $(grep -m1 -v '^\s*$' "$err")"
    elif grep -q "WARNING" "$err"; then
      why="TaskModeCheck: the JVM warned: $(grep -m1 "WARNING" "$err")"
    fi
  fi
  if [ -n "$why" ]; then
    say "    $why"
    return 1
  fi
  say "    $serving; $(cat "$out")"
  return 0
}

jdk17="${WEFT_JDK17:-$(command -v java)}"
jdk21="${WEFT_JDK21:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
for java in "$jdk17" "$jdk21"; do
  if [ ! -x "$java" ]; then
    say "== skipped: no JDK at $java"
    continue
  fi
  feature="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  for kind in classpath modulepath; do
    if [ "$kind" = classpath ]; then flags=("${cp_flags[@]}"); else flags=("${mp_flags[@]}"); fi
    say "== JDK $feature, $kind, the README's flags: ${flags[*]}"
    run "$java" "$kind" ${flags[*]} && say "    ok" || bad "JDK $feature $kind with the README's flags"
    for i in "${!flags[@]}"; do
      # On JDK 17 only the first flag (Agrona's export) is needed; the others are for 21+ and 22+.
      if [ "$feature" -lt 21 ] && [ "$i" -gt 0 ]; then
        continue
      fi
      without=("${flags[@]:0:$i}" "${flags[@]:$((i + 1))}")
      say "== JDK $feature, $kind, without ${flags[$i]}: must fail"
      if run "$java" "$kind" ${without[*]}; then
        bad "JDK $feature $kind ran without ${flags[$i]}: the README says it is needed"
      else
        say "    failed, as it must"
      fi
    done
  done
done

if [ $fail -eq 0 ]; then
  say "embedding project: all runs as the README says"
fi
exit $fail
