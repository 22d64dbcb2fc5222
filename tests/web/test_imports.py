"""The web service's import graph (function-level imports included, as `tests/test_architecture.py`
builds it): no circle anywhere in `web/`, and the app factory imported only by the shells' entry points."""
from __future__ import annotations

from tests.test_architecture import imports, modules


def web_graph() -> dict[str, set[str]]:
    """Each module of `web/` -> the modules of `web/` it imports."""
    known = {name: path for name, path in modules().items() if name.split(".")[0] == "web"}
    return {name: {target for target, _ in imports(name, path) if target in known and target != name}
            for name, path in known.items()}


def a_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph` as the modules along it (the first repeated at the end), or []."""
    done, path = set(), []

    def visit(name: str) -> list[str]:
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return []
        path.append(name)
        for target in sorted(graph[name]):
            if circle := visit(target):
                return circle
        path.pop()
        done.add(name)
        return []

    for name in sorted(graph):
        if circle := visit(name):
            return circle
    return []


def test_a_circle_is_found_where_there_is_one():
    assert a_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert a_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_module_of_the_web_service_imports_itself_in_a_circle():
    circle = a_circle(web_graph())
    assert not circle, " -> ".join(circle)


def test_only_the_command_line_imports_the_app_factory():
    """Views render through `web.pages` and ask `web.access`; `web.app` only assembles them."""
    importers = sorted(name for name, path in modules().items()
                       for target, _ in imports(name, path) if target == "web.app")
    assert importers == ["web.commands"]
