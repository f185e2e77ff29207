"""The rooms and the one-way arrows between them (docs/ARCHITECTURE.md), checked on every
module's imports, so an arrow that runs back up fails here rather than in review.

FLOORS is the allowed direction, written once: a module may import its own app and any app on
a lower floor; never an app on a higher floor, nor another room on its own floor (the page
rooms, staff, pharmacy and portal, do not import each other). No import inside a function
reaches another app (a function-local import is how a cycle hides). registry and dosing, the
domain, import nothing of clinic but the bottom floor, accounts (roles).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FLOORS: list[set[str]] = [
    {"clinic.accounts"},  # roles, sign-in, two-factor: imports no other app of ours
    {"registry"},  # patients, pharmacies, consent: records and services, no pages
    {"dosing"},  # rules, courses, prescriptions, dispenses: records and services, no pages
    {"clinic.monitoring"},  # visits, flags, labs, weights, follow-ups
    {"clinic.reminders"},  # the outbox, its schedule, sending, tasks, /healthz
    {"clinic.staff", "clinic.pharmacy", "clinic.portal"},  # pages, by audience
    {"clinic.demo"},  # demo accounts and generated registries
    {"clinic"},  # the project: settings, urls, celery, wsgi
]
FLOOR_OF = {app: number for number, apps in enumerate(FLOORS) for app in apps}
APPS = sorted(FLOOR_OF, key=len, reverse=True)  # longest first: clinic.staff before clinic

# The only .py files directly in clinic/: the project's own.
PROJECT_FILES = {"__init__.py", "settings.py", "env.py", "urls.py", "celery.py", "wsgi.py"}


def app_of(module: str) -> str | None:
    for app in APPS:
        if module == app or module.startswith(app + "."):
            return app
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> list[Path]:
    return sorted(
        path
        for top in ("clinic", "registry", "dosing")
        for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def imports_of(path: Path):
    """(imported module, line, inside a function?) for every import of the project's code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    local = {id(inner) for fn in functions for inner in ast.walk(fn) if inner is not fn}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base]
        else:
            continue
        for name in names:
            if app_of(name) is not None:
                yield name, node.lineno, id(node) in local


def arrows_that_run_back():
    wrong = []
    for path in project_modules():
        here = app_of(module_name(path))
        for target, line, in_function in imports_of(path):
            there = app_of(target)
            where = f"{path.relative_to(ROOT)}:{line} ({here} imports {target})"
            if there == here:
                continue
            if in_function:
                wrong.append(f"{where}: an import inside a function reaches another app")
            elif FLOOR_OF[there] >= FLOOR_OF[here]:
                side = "its own floor" if FLOOR_OF[there] == FLOOR_OF[here] else "a higher floor"
                wrong.append(f"{where}: {there} is on {side}")
    return wrong


def test_every_import_runs_down_the_floors():
    assert arrows_that_run_back() == []


def test_no_module_lies_loose_in_the_project_package():
    loose = {p.name for p in (ROOT / "clinic").glob("*.py")} - PROJECT_FILES
    assert loose == set()


@pytest.mark.parametrize("domain", ["registry", "dosing"])
def test_the_domain_apps_have_no_pages(domain):
    pages = [
        str(path.relative_to(ROOT))
        for path in (ROOT / domain).rglob("*.py")
        if path.stem in {"views", "urls", "forms"} or "views" in path.parts
    ]
    html = [str(path.relative_to(ROOT)) for path in (ROOT / domain).rglob("*.html")]
    assert pages + html == []  # an email's text template is not a page


@pytest.mark.parametrize("domain", ["registry", "dosing"])
def test_the_domain_imports_nothing_of_clinic_but_the_accounts_floor(domain):
    reached = {
        app_of(target)
        for path in (ROOT / domain).rglob("*.py")
        for target, _line, _local in imports_of(path)
        if target.startswith("clinic")
    }
    assert reached <= {"clinic.accounts"}


def test_every_app_on_the_floors_is_installed_and_every_installed_app_is_on_them():
    from django.conf import settings

    ours = {name for name in settings.INSTALLED_APPS if app_of(name) is not None}
    assert ours == set(FLOOR_OF) - {"clinic"}


def test_the_check_catches_an_arrow_that_runs_back(tmp_path, monkeypatch):
    """The walker itself: a page import in registry, a function-local import in dosing, and
    one page room importing another are each reported."""
    fake = tmp_path / "project"
    for relative, text in {
        "registry/__init__.py": "",
        "registry/bad.py": "from clinic.staff.access import get_patient_for\n",
        "dosing/__init__.py": "",
        "dosing/sneaky.py": "def f():\n    from registry.models import Patient\n",
        "clinic/__init__.py": "",
        "clinic/portal/__init__.py": "",
        "clinic/portal/views.py": "from clinic.staff import worklist\n",
    }.items():
        (fake / relative).parent.mkdir(parents=True, exist_ok=True)
        (fake / relative).write_text(text)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake)
    found = "\n".join(arrows_that_run_back())
    assert "registry/bad.py:1 (registry imports clinic.staff.access)" in found
    assert (
        "dosing/sneaky.py:2 (dosing imports registry.models): an import inside a function" in found
    )
    assert (
        "clinic/portal/views.py:1 (clinic.portal imports clinic.staff): clinic.staff is on its"
        in (found)
    )
