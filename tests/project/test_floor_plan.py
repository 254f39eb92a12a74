"""The four taps keep one floor plan: the same files in the same roles, no import circle, and no
private part of the Singer SDK beyond the places each tap's README lists (with their reason)."""

from __future__ import annotations

import ast

import pytest
from singer_sdk import RESTStream, Stream, Tap
from singer_sdk.authenticators import APIAuthenticatorBase, OAuthAuthenticator
from singer_sdk.pagination import BaseAPIPaginator, BaseOffsetPaginator
from testkit import ROOT

PACKAGES = {
    "tap-brightcove-audience": "tap_brightcove_audience",
    "tap-conviva-sessions": "tap_conviva_sessions",
    "tap-vbrick-webcast": "tap_vbrick_webcast",
    "tap-webcast-reporting": "tap_webcast_reporting",
}
#: The files every tap has, each in the same role (the READMEs' layout sections say which).
SHARED_FILES = (
    "tap.py",
    "settings.py",
    "auth.py",
    "client.py",
    "pagination.py",
    "streams.py",
    "errors.py",
    "values.py",
    "owed.py",
    "concurrency.py",
    "messages.py",
)
#: A shared file a tap does without, its README's layout section saying why.
ABSENT: dict[str, set[str]] = {"tap-webcast-reporting": {"pagination.py"}}  # one report a call
#: The SDK's private names a tap still overrides or reads, each listed in its README.
ALLOWED_SDK_PRIVATE: dict[str, set[str]] = {
    "tap-brightcove-audience": {"_increment_stream_state", "_write_record_message"},
    "tap-conviva-sessions": {"_increment_stream_state", "_write_record_message"},
    "tap-vbrick-webcast": {"_write_record_message"},
    "tap-webcast-reporting": {"_write_record_message"},
}
SDK_CLASSES = (
    RESTStream,
    Stream,
    Tap,
    BaseAPIPaginator,
    BaseOffsetPaginator,
    APIAuthenticatorBase,
    OAuthAuthenticator,
)


def modules(tap: str) -> dict[str, ast.Module]:
    package = ROOT / tap / PACKAGES[tap]
    return {
        ".".join(path.relative_to(package.parent).with_suffix("").parts): ast.parse(
            path.read_text(), str(path)
        )
        for path in sorted(package.rglob("*.py"))
    }


def loaded_with(node: ast.AST) -> list[ast.AST]:
    """The statements that run when the module is loaded: not function bodies, not
    ``if TYPE_CHECKING:`` blocks."""
    found: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            found.extend(loaded_with(ast.Module(body=child.orelse, type_ignores=[])))
            continue
        found.append(child)
        found.extend(loaded_with(child))
    return found


def runtime_imports(name: str, tree: ast.Module, package: str) -> set[str]:
    """The package's modules this one imports when it is loaded."""
    found: set[str] = set()
    for item in loaded_with(tree):
        if isinstance(item, ast.ImportFrom) and item.module:
            base = item.module
            if item.level:  # relative import
                base = ".".join([*name.split(".")[: -item.level], item.module])
            if base.startswith(package):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in item.names)
        elif isinstance(item, ast.Import):
            found.update(a.name for a in item.names if a.name.startswith(package))
    return found


@pytest.mark.parametrize("tap", PACKAGES)
def test_every_tap_has_the_shared_files(tap: str) -> None:
    package = ROOT / tap / PACKAGES[tap]
    missing = {name for name in SHARED_FILES if not (package / name).exists()}
    assert missing == ABSENT.get(tap, set()), f"{tap} lacks {missing}"
    readme = (ROOT / tap / "README.md").read_text()
    assert "## Layout" in readme
    assert "### Private SDK parts" in readme
    for name in SHARED_FILES:
        assert f"`{name}`" in readme, f"{tap}'s README layout section does not name {name}"


@pytest.mark.parametrize("tap", PACKAGES)
def test_no_import_circle(tap: str) -> None:
    package = PACKAGES[tap]
    trees = modules(tap)
    graph = {
        name: {m for m in runtime_imports(name, tree, package) if m in trees and m != name}
        for name, tree in trees.items()
    }

    def cycle_from(start: str) -> list[str] | None:
        path: list[str] = []

        def visit(node: str) -> list[str] | None:
            if node in path:
                return [*path[path.index(node) :], node]
            path.append(node)
            for child in sorted(graph[node]):
                if found := visit(child):
                    return found
            path.pop()
            return None

        return visit(start)

    for name in graph:
        assert cycle_from(name) is None, f"import circle: {' -> '.join(cycle_from(name) or [])}"


def sdk_private_names(tree: ast.Module) -> set[str]:
    """Underscored attributes read, set or defined on ``self``/``super()`` or as methods, that
    some SDK base class also has: the tap touches the SDK's private parts there."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = ast.unparse(node.value)
            if owner in ("self", "super()", "cls"):
                names.add(node.attr)
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "singer_sdk.helpers._"
        ):
            names.add(node.module or "")
    dunder = {n for n in names if n.startswith("__") and n.endswith("__")}
    return {
        n
        for n in names - dunder
        if n.startswith("singer_sdk.") or any(hasattr(c, n) for c in SDK_CLASSES)
    }


@pytest.mark.parametrize("tap", PACKAGES)
def test_only_the_listed_private_sdk_parts_are_touched(tap: str) -> None:
    touched = set().union(*(sdk_private_names(tree) for tree in modules(tap).values()))
    assert touched == ALLOWED_SDK_PRIVATE[tap]
    readme = (ROOT / tap / "README.md").read_text()
    for name in ALLOWED_SDK_PRIVATE[tap]:
        assert name in readme, f"{tap}'s README does not list {name} with its reason"


def test_the_check_sees_a_private_sdk_part() -> None:
    tree = ast.parse(
        "from singer_sdk.helpers._util import utc_now\n"
        "class S:\n"
        "    def _increment_stream_state(self, r):\n"
        "        self._write_state_message()\n"
        "        self._my_own = 1\n"
    )
    assert sdk_private_names(tree) == {
        "singer_sdk.helpers._util",
        "_increment_stream_state",
        "_write_state_message",
    }


def test_the_circle_check_reads_only_imports_made_at_load_time() -> None:
    plain = ast.parse("from pkg import b\nfrom pkg.c import d\n")
    assert runtime_imports("pkg.a", plain, "pkg") == {"pkg", "pkg.b", "pkg.c", "pkg.c.d"}
    lazy = ast.parse(
        "import typing\n"
        "if typing.TYPE_CHECKING:\n    from pkg import b\n"
        "class K:\n    def f(self):\n        from pkg import c\n"
    )
    assert runtime_imports("pkg.a", lazy, "pkg") == set()


#: Files whose text is the same in the four taps (but for the package's name): a fix to one is
#: a fix to all, and each tap still installs alone.
IDENTICAL_FILES = ("owed.py", "concurrency.py", "messages.py", "progress.py", "logging.yaml")


@pytest.mark.parametrize("name", IDENTICAL_FILES)
def test_the_identical_files_are_identical(name: str) -> None:
    texts = {
        tap: (ROOT / tap / package / name).read_text().replace(package, "<package>")
        for tap, package in PACKAGES.items()
    }
    first = next(iter(texts.values()))
    differ = [tap for tap, text in texts.items() if text != first]
    assert not differ, f"{name} differs in {differ} from {next(iter(texts))}"
