"""The house rules, read from the source: contexts depend in one direction (core <- boundaries <- gazetteer <-
facilities, divisions <- ogc, maps <- app <- migrations), and outside a context code imports only that context's
door, its ``service`` facade (the app and the migrations also mount and register its ``api``, ``cli`` and
``models``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
FLOORS = {
    "core": 0,
    "boundaries": 1,
    "gazetteer": 2,
    "facilities": 3,
    "divisions": 3,
    "ogc": 4,
    "maps": 4,
    "app": 5,
    "migrations": 6,
}
CONTEXTS = ("boundaries", "gazetteer", "facilities", "divisions")
WIRING = ("app", "migrations")
WIRING_ROOMS = ("api", "cli", "models")


def imported_modules(tree: ast.Module) -> list[tuple[int, str]]:
    """Every absolute module an import statement names, a ``from package import module`` as the module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in FLOORS:  # from boundaries import service -> boundaries.service
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def violations(path: Path, source: str) -> list[str]:
    """The house rules ``source`` (the text of ``path``, inside the project) breaks."""
    owner = path.relative_to(PROJECT).parts[0]
    found = []
    for line, module in imported_modules(ast.parse(source)):
        parts = module.split(".")
        target = parts[0]
        if target not in FLOORS or target == owner:
            continue
        where = f"{path.relative_to(PROJECT)}:{line} imports {module}"
        if FLOORS[target] >= FLOORS[owner]:
            found.append(f"{where}: {owner} may not depend on {target} (contexts depend in one direction)")
        elif target in CONTEXTS and module != f"{target}.service":
            if not (owner in WIRING and len(parts) == 2 and parts[1] in WIRING_ROOMS) and not (
                owner in WIRING and parts[-1] in WIRING_ROOMS
            ):
                found.append(f"{where}: outside {target}, import only {target}.service (its door)")
    return found


def project_modules() -> list[Path]:
    return sorted(p for top in FLOORS for p in (PROJECT / top).rglob("*.py"))


def test_every_module_keeps_the_house_rules() -> None:
    modules = project_modules()
    assert len(modules) > 100
    broken = [v for path in modules for v in violations(path, path.read_text())]
    assert broken == []


@pytest.mark.parametrize(
    ("module", "statement", "rule"),
    [
        ("maps/service.py", "from boundaries.checks import service as checks", "import only boundaries.service"),
        ("ogc/collections.py", "from gazetteer.places.queries import PLACE_COLUMNS", "import only gazetteer.service"),
        ("gazetteer/places/service.py", "from facilities import service", "may not depend on facilities"),
        ("boundaries/units/service.py", "import gazetteer.service", "may not depend on gazetteer"),
        ("core/web.py", "from boundaries import service", "may not depend on boundaries"),
        ("facilities/coverage.py", "from boundaries.units.queries import unit_geometry", "import only boundaries"),
    ],
)
def test_a_forbidden_import_is_found(module: str, statement: str, rule: str) -> None:
    """The check fails when a forbidden import is added (each kind of rule, in a real module's text)."""
    path = PROJECT / module
    assert violations(path, path.read_text()) == []
    broken = violations(path, path.read_text() + "\n" + statement + "\n")
    assert len(broken) == 1 and rule in broken[0], broken


def test_the_wiring_may_mount_routers_and_register_tables() -> None:
    """The app mounts each context's routers and the migrations register its tables; a service room stays closed."""
    path = PROJECT / "app" / "main.py"
    allowed = "from boundaries.checks.api import router\nimport gazetteer.signs.models\nfrom facilities import cli\n"
    assert violations(path, allowed) == []
    assert violations(path, "from boundaries.checks.service import REGISTERED\n") != []


# The settings tree is built where the process starts and handed down (README "Configuration").
SETTINGS_ENTRY_POINTS = ("core/settings.py", "app/main.py", "app/cli.py")


def settings_violations(path: Path, source: str) -> list[str]:
    """Places outside the entry points where settings are built (a call of a ``...Settings`` class) or the
    environment is read (``os.environ``, ``os.getenv``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name.endswith("Settings"):
                found.append(f"{path.relative_to(PROJECT)}:{node.lineno}: builds {name}: take it from the caller")
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            found.append(f"{path.relative_to(PROJECT)}:{node.lineno}: reads the environment")
    return found


def test_settings_are_built_once_at_the_entry_points() -> None:
    modules = [p for p in project_modules() if str(p.relative_to(PROJECT)) not in SETTINGS_ENTRY_POINTS]
    assert [v for path in modules for v in settings_violations(path, path.read_text())] == []


@pytest.mark.parametrize(
    "statement", ["limit = PhotoSettings().photo_max_bytes", "key = os.environ['GAZ_TIANDITU_KEY']", "os.getenv('X')"]
)
def test_a_settings_shortcut_is_found(statement: str) -> None:
    path = PROJECT / "facilities" / "coverage.py"
    assert settings_violations(path, path.read_text()) == []
    assert len(settings_violations(path, path.read_text() + "\n" + statement + "\n")) == 1


# A table is written only by the context that declares it (its models.py); the audit-log replay goes through the
# contexts' importers and write-back functions.
WRITE_STATEMENT = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+([a-z_][a-z0-9_]*)", re.I
)


def table_owners() -> dict[str, str]:
    """Each declared table (``__tablename__`` in a models module) and the package that declares it."""
    owners = {}
    for path in project_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__tablename__" for t in node.targets):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    owners[node.value.value] = path.relative_to(PROJECT).parts[0]
    return owners


def sql_texts(tree: ast.Module) -> list[tuple[int, str]]:
    """Every string literal of a module (an f-string with its holes as ``{}``), with its line."""
    found = []
    in_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings:
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            found.append((node.lineno, "".join(str(p) for p in parts)))
    return found


def write_violations(path: Path, source: str, owners: dict[str, str]) -> list[str]:
    """Tables ``source`` writes that another context declares."""
    owner = path.relative_to(PROJECT).parts[0]
    found = []
    for line, sql in sql_texts(ast.parse(source)):
        for table in WRITE_STATEMENT.findall(sql):
            declared_by = owners.get(table.lower())
            if declared_by is not None and declared_by != owner and owner != "migrations":
                found.append(f"{path.relative_to(PROJECT)}:{line} writes {table}, a table of {declared_by}")
    return found


def test_tables_are_written_only_by_their_context() -> None:
    owners = table_owners()
    assert {"admin_unit", "unit_polygon", "place_name", "facility"} <= set(owners)
    assert [v for path in project_modules() for v in write_violations(path, path.read_text(), owners)] == []


@pytest.mark.parametrize(
    ("module", "statement"),
    [
        ("app/replay_queries.py", 'SQL = "UPDATE facility SET beds = 0"'),
        ("gazetteer/places/queries.py", 'SQL = f"INSERT INTO unit_polygon (id) VALUES ({1})"'),
        ("facilities/queries.py", 'SQL = ("DELETE FROM place_name"\n " WHERE id = 1")'),
    ],
)
def test_a_write_to_another_contexts_table_is_found(module: str, statement: str) -> None:
    """The check fails when a module writes a table another context declares (plain, f-string, split literal)."""
    owners = table_owners()
    path = PROJECT / module
    assert write_violations(path, path.read_text(), owners) == []
    broken = write_violations(path, path.read_text() + "\n" + statement + "\n", owners)
    assert len(broken) == 1 and "a table of" in broken[0], broken
