"""Settings built from typed environment helpers: production passes ``check --deploy``; bad values stop start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from anxin.env import EnvError, env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANXIN_", "DJANGO_")) and k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")
    }
    base["ANXIN_VAR_DIR"] = str(tmp_path)
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def prod_env(**extra: str) -> dict[str, str]:
    return {"ANXIN_ENV": "prod", "SECRET_KEY": secrets.token_urlsafe(45)[:60], "ALLOWED_HOSTS": "anxin.example.com", **extra}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = prod_env()
    assert len(env["SECRET_KEY"]) == 60
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_fails_naming_it(tmp_path):
    env = prod_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_with_a_weak_secret_key_fails(tmp_path):
    result = manage("check", env=prod_env(SECRET_KEY="short"), tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_fails_naming_it(tmp_path):
    env = prod_env()
    del env["ALLOWED_HOSTS"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_unknown_anxin_env_fails_loudly(tmp_path):
    result = manage("check", env={"ANXIN_ENV": "production"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ANXIN_ENV='production'" in result.stderr


def test_bad_database_url_fails_loudly(tmp_path):
    result = manage("check", env={"DATABASE_URL": "not-a-database"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize("name,value", [("AXES_FAILURE_LIMIT", "five"), ("DEBUG", "maybe")])
def test_bad_typed_values_fail_loudly(tmp_path, name, value):
    result = manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert name in result.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_BOOL", "off")
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    monkeypatch.setenv("X_CHOICE", "prod")
    monkeypatch.delenv("X_MISSING", raising=False)
    assert env_int("X_INT", 1) == 12
    assert env_bool("X_BOOL", True) is False
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_choice("X_CHOICE", ("dev", "prod"), "dev") == "prod"
    assert env_str("X_MISSING", "fallback") == "fallback"
    with pytest.raises(EnvError, match="X_MISSING"):
        env_str("X_MISSING", required=True)
    monkeypatch.setenv("X_INT", "1.5")
    with pytest.raises(EnvError, match="X_INT"):
        env_int("X_INT", 1)
