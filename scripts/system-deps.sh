#!/usr/bin/env bash
# The system packages Anxin needs, in one place (decision 0036); `make run`, `make test`,
# `make i18n-check` / `make messages` and `.ci/run` all call this script.
#
#   scripts/system-deps.sh [--check | --dry-run] GROUP...
#
# Groups: run   a Python that can make the virtualenv (python3-venv), when there is none yet
#         test  run, plus Chromium and the Noto CJK fonts for the browser tests, and redis-server
#               (the two-instance tests start a private one)
#         i18n  GNU gettext (xgettext) to re-extract the translatable strings
#
# Whatever is missing is installed with apt-get when this runs as root on a Debian-like system.
# Otherwise (or with --check) it prints the one command to run and exits 1, so make stops before
# running anything. --dry-run prints what it would install and changes nothing.
# Where to look can be moved with ANXIN_CHROMIUM, ANXIN_CJK_FONT, ANXIN_XGETTEXT, ANXIN_REDIS_SERVER, PYTHON and
# ANXIN_APT_GET (the apt-get to call) and ANXIN_UID (as whom), which is how the tests exercise
# every branch (anxin/core/tests/test_system_deps.py).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=install
groups=()
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --dry-run) mode=dry-run ;;
    run | test | i18n) groups+=("$arg") ;;
    *) echo "system-deps: unknown argument '$arg' (groups: run test i18n; options: --check --dry-run)" >&2; exit 2 ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || groups=(run test i18n)

CHROMIUM=${ANXIN_CHROMIUM:-/usr/bin/chromium}
CJK_FONT=${ANXIN_CJK_FONT:-Noto Sans CJK}
XGETTEXT=${ANXIN_XGETTEXT:-xgettext}
REDIS_SERVER=${ANXIN_REDIS_SERVER:-redis-server}
PYTHON=${PYTHON:-python3}
APT_GET=${ANXIN_APT_GET:-apt-get}
VENV_PYTHON=${ANXIN_VENV_PYTHON:-.venv/bin/python}

has_cjk_font() {
  # The listing is read whole first: `fc-list | grep -q` under pipefail fails at random (grep
  # exits early, fc-list dies of SIGPIPE).
  local fonts pattern=$CJK_FONT
  if command -v fc-list >/dev/null 2>&1; then
    fonts=$(fc-list 2>/dev/null || true)
  else # no fontconfig: the file names (NotoSansCJK-Regular.ttc)
    fonts=$(find /usr/share/fonts /usr/local/share/fonts -type f 2>/dev/null || true)
    pattern=${CJK_FONT// /}
  fi
  grep -qiF -- "$pattern" <<<"$fonts"
}

packages=()
reasons=()
want() { # want PACKAGE REASON: add once
  local p
  for p in "${packages[@]+"${packages[@]}"}"; do [ "$p" = "$1" ] && return 0; done
  packages+=("$1")
  reasons+=("$1 ($2)")
}

check_all() {
  packages=()
  reasons=()
  local g
  for g in "${groups[@]}"; do
    case "$g" in
      run | test)
        if [ ! -x "$VENV_PYTHON" ] && ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
          want python3-venv "to create the virtualenv"
        fi
        ;;
    esac
    case "$g" in
      test)
        [ -x "$CHROMIUM" ] || want chromium "browser tests: no Chromium at $CHROMIUM"
        has_cjk_font || want fonts-noto-cjk "browser tests: Chinese text needs the '$CJK_FONT' font"
        command -v "$REDIS_SERVER" >/dev/null 2>&1 || want redis-server "two-instance tests: no $REDIS_SERVER to start a private Redis"
        ;;
      i18n)
        command -v "$XGETTEXT" >/dev/null 2>&1 || want gettext "make messages / i18n-check: no $XGETTEXT"
        ;;
    esac
  done
}

check_all
[ ${#packages[@]} -eq 0 ] && exit 0

install_cmd="apt-get install -y --no-install-recommends ${packages[*]}"
echo "system-deps: missing ${reasons[*]}"
can_install=0
if [ "${ANXIN_UID:-$(id -u)}" = 0 ] && command -v "$APT_GET" >/dev/null 2>&1; then can_install=1; fi

if [ "$mode" = dry-run ]; then
  if [ $can_install = 1 ]; then echo "system-deps: would run: apt-get update && $install_cmd"; else echo "system-deps: would ask you to run: sudo $install_cmd"; fi
  exit 0
fi
if [ "$mode" = check ] || [ $can_install = 0 ]; then
  echo "system-deps: install them first, then run make again:" >&2
  if command -v apt-get >/dev/null 2>&1 || [ "$mode" = check ]; then
    echo "    sudo apt-get update && sudo $install_cmd" >&2
  else
    echo "    (not a Debian-like system: install the equivalents of: ${packages[*]})" >&2
  fi
  exit 1
fi

echo "system-deps: installing ${packages[*]}"
"$APT_GET" update -qq
DEBIAN_FRONTEND=noninteractive "$APT_GET" install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
check_all
if [ ${#packages[@]} -gt 0 ]; then
  echo "system-deps: still missing after the install: ${reasons[*]}" >&2
  exit 1
fi
echo "system-deps: installed"
