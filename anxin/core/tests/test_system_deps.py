"""scripts/system-deps.sh (decision 0036): what `make test`, `make run` and .ci/run need from the
system, installed when it can be, else the one command to run — and make runs it before anything.

Every branch is driven through the script's environment (where to look, which apt-get, as whom),
so nothing is uninstalled and nothing is really installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR, "scripts", "system-deps.sh")


@pytest.fixture
def machine(tmp_path):
    """A fake machine: Chromium, fc-list (listing Noto Sans CJK), xgettext and redis-server all present."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {
        "chromium": "exit 0",
        "fc-list": "echo '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc: Noto Sans CJK SC:style=Regular'",
        "xgettext": "exit 0",
        "redis-server": "exit 0",
        "apt-get": f'echo "$*" >> {tmp_path}/apt.log',
    }.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "ANXIN_CHROMIUM": str(bin_dir / "chromium"),
        "ANXIN_REDIS_SERVER": str(bin_dir / "redis-server"),
        "ANXIN_APT_GET": str(bin_dir / "apt-get"),
        "ANXIN_VENV_PYTHON": os.path.join(settings.BASE_DIR, ".venv", "bin", "python"),
        "ANXIN_UID": "0",
    }

    class Machine:
        apt_log = tmp_path / "apt.log"

        def run(self, *args, **extra):
            result = subprocess.run(
                ["bash", str(SCRIPT), *args], env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False
            )
            result.apt = self.apt_log.read_text().splitlines() if self.apt_log.exists() else []
            return result

    return Machine()


def test_nothing_missing_is_silent_and_installs_nothing(machine):
    result = machine.run("run", "test", "i18n")
    assert (result.returncode, result.stdout, result.stderr, result.apt) == (0, "", "", [])


def test_as_root_it_installs_what_is_missing_with_apt_get(machine):
    result = machine.run(
        "test", ANXIN_CHROMIUM="/nonexistent/chromium", ANXIN_CJK_FONT="Noto Serif CJK", ANXIN_REDIS_SERVER="no-redis-server"
    )
    assert result.apt == ["update -qq", "install -y -qq --no-install-recommends chromium fonts-noto-cjk redis-server"]
    # The fake apt-get installs nothing, so the script says so and fails instead of going on.
    assert result.returncode == 1 and "still missing after the install: chromium" in result.stderr


def test_where_it_cannot_install_it_stops_and_prints_the_one_command(machine):
    for env in ({"ANXIN_UID": "1000"}, {"ANXIN_APT_GET": "/nonexistent/apt-get"}):
        result = machine.run("test", "i18n", ANXIN_CHROMIUM="/nonexistent/chromium", ANXIN_XGETTEXT="no-xgettext", **env)
        assert result.returncode == 1 and result.apt == []
        assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium gettext" in result.stderr


def test_check_and_dry_run_change_nothing(machine):
    check = machine.run("--check", "test", ANXIN_CHROMIUM="/nonexistent/chromium")
    assert check.returncode == 1 and "sudo apt-get install -y --no-install-recommends chromium" in check.stderr
    dry = machine.run("--dry-run", "test", ANXIN_CHROMIUM="/nonexistent/chromium")
    assert dry.returncode == 0 and "would run: apt-get update && apt-get install -y --no-install-recommends chromium" in dry.stdout
    assert dry.apt == [] and check.apt == []


def test_groups_ask_only_for_their_own_packages(machine):
    assert machine.run("run", ANXIN_CHROMIUM="/nonexistent/chromium", ANXIN_XGETTEXT="no-xgettext").returncode == 0
    venv = machine.run("--check", "run", ANXIN_VENV_PYTHON="/nonexistent/python", PYTHON="/bin/false")
    assert venv.returncode == 1 and "install -y --no-install-recommends python3-venv" in venv.stderr
    assert machine.run("bogus").returncode == 2


@pytest.mark.parametrize(("target", "group"), [("test", "test"), ("run", "run"), ("i18n-check", "i18n"), ("messages", "i18n")])
def test_make_runs_the_script_before_anything_else(target, group):
    """`make -n` prints the commands without running them: the script comes first."""
    # Under CI the suite itself runs inside `make test`: the inherited MAKEFLAGS/MAKELEVEL would make
    # the child print "Entering directory" first, so it gets a clean make environment.
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first = result.stdout.splitlines()[0]
    assert first.endswith(f"bash scripts/system-deps.sh {group}"), first


def test_ci_calls_the_same_script():
    ci = Path(settings.BASE_DIR, ".ci", "run").read_text()
    assert "bash scripts/system-deps.sh run test i18n" in ci and "apt-get install" not in ci
