"""The layers of the apps (decision 0043), enforced: the import-linter contracts in pyproject.toml
hold, every app is in them, and they do catch an upward import (inside a function too: grimp counts
every import statement).

`make test` and `make lint` run `lint-imports` too; this test makes a plain pytest run fail as well."""

from __future__ import annotations

import copy
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from django.conf import settings
from importlinter.contracts.layers import LayersContract

BASE = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Left out of the layers: settings (with the typed env reader it uses) and the format modules
# (FORMAT_MODULE_PATH) are read by Django, never imported by an app; the package's __init__ only
# loads the Celery app.
UNLAYERED = {"settings", "env", "formats"}


def _config() -> dict:
    return tomllib.loads((BASE / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _layers_contract() -> LayersContract:
    (options,) = [c for c in _config()["contracts"] if c["id"] == "layers"]
    options = {k: v for k, v in options.items() if k not in ("id", "name")}
    return LayersContract(name="layers", session_options={"root_packages": ["anxin"]}, contract_options=options)


def _layered_names() -> set[str]:
    (options,) = [c for c in _config()["contracts"] if c["id"] == "layers"]
    names = set()
    for layer in options["layers"]:
        for part in layer.replace("|", ":").split(":"):
            names.add(part.strip().strip("()"))
    return names


def test_the_import_contracts_hold():
    result = subprocess.run(  # noqa: S603 - our own venv's linter on our own tree
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=BASE, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_and_root_module_is_in_a_layer():
    package = BASE / "anxin"
    apps = {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    missing = (apps | modules) - UNLAYERED - _layered_names()
    assert not missing, f"put these in a layer of pyproject.toml (decision 0043): {sorted(missing)}"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("anxin", cache_dir=None)


def _violations(graph) -> set[tuple[str, str]]:
    """(importer, imported) of every import the layers contract refuses (checking mutates a graph)."""
    check = _layers_contract().check(copy.deepcopy(graph), verbose=False)
    found = set()
    for dependency in check.metadata.get("invalid_dependencies", []):
        for route in dependency["routes"]:
            for link in route["chain"]:
                found.add((link["importer"], link["imported"]))
    return found


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("anxin.core.periodic", "anxin.orders.sla.escalation"),  # core names a domain app
        ("anxin.network.selectors", "anxin.orders.choices"),  # network counts orders
        ("anxin.customers.views", "anxin.feedback.models"),  # customers reads callbacks
        ("anxin.orders.models", "anxin.dispatch.services"),  # orders calls dispatch
        ("anxin.feedback.services", "anxin.telephony.services"),  # siblings are independent
        ("anxin.web.errors", "anxin.accounts.choices"),  # the UI kit sits below accounts
        ("anxin.core.outbox", "anxin.celery"),  # core kicks Celery by task name
        ("anxin.dispatch.services", "anxin.dashboards.views"),  # a domain app imports a surface
    ],
)
def test_the_contract_refuses_an_upward_import(graph, importer, imported):
    assert (importer, imported) not in _violations(graph)
    broken = copy.deepcopy(graph)
    broken.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"from {imported} import x")
    assert (importer, imported) in _violations(broken)


def test_tests_and_migrations_are_left_out(graph):
    broken = copy.deepcopy(graph)
    broken.add_import(importer="anxin.core.tests.test_outbox", imported="anxin.orders.models", line_number=1, line_contents="")
    assert ("anxin.core.tests.test_outbox", "anxin.orders.models") not in _violations(broken)
