"""The curated public API: sorted, complete, documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

import skipcall_async
import skipcall_async.testing

NOT_DOCUMENTABLE = {"__version__", "NOT_GIVEN"}


def public_names(module: types.ModuleType) -> set[str]:
    """Names a user can import from the module that are not private and not submodules."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_is_sorted_and_lists_every_public_name() -> None:
    """__all__ is in sorted order and matches exactly what the package exposes."""
    for module in (skipcall_async, skipcall_async.testing):
        assert module.__all__ == sorted(module.__all__)
        assert set(module.__all__) == public_names(module) | ({"__version__"} & set(vars(module)))


def test_every_public_name_has_a_docstring() -> None:
    """Each exported class and function says what it is for, and so does each public method of the client."""
    for module in (skipcall_async, skipcall_async.testing):
        for name in module.__all__:
            if name in NOT_DOCUMENTABLE or not (inspect.isclass(obj := getattr(module, name)) or callable(obj)):
                continue
            if is_type_alias(obj):  # documented by the string under its assignment, which only the source keeps
                continue
            own = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__  # not one inherited
            assert (own or "").strip(), f"{module.__name__}.{name} has no docstring of its own"
    for name, member in inspect.getmembers(skipcall_async.SkipcallClient):
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
            assert member.__doc__, f"SkipcallClient.{name} has no docstring"


EXPORTED_CLASSES = [name for name in skipcall_async.__all__ if inspect.isclass(getattr(skipcall_async, name))]


@pytest.mark.parametrize("name", EXPORTED_CLASSES)
def test_type_hints_resolve_on_every_exported_class(name: str) -> None:
    """typing.get_type_hints works on each exported class: no annotation names what only a type checker imports,
    and every field of an attrs class gets a real type."""
    cls = getattr(skipcall_async, name)
    hints = typing.get_type_hints(cls)
    assert not [hint for hint in hints.values() if isinstance(hint, str | typing.ForwardRef)]
    if attrs.has(cls):
        assert {field.name for field in attrs.fields(cls)} <= hints.keys()


def test_not_given_reads_well() -> None:
    """The partial-update sentinel is falsy, prints as its name, and is the one value of its exported type."""
    assert not skipcall_async.NOT_GIVEN
    assert repr(skipcall_async.NOT_GIVEN) == "NOT_GIVEN"
    assert list(skipcall_async.NotGiven) == [skipcall_async.NOT_GIVEN]


def test_sequence_means_the_model_in_every_module_of_the_package() -> None:
    """No module binds ``Sequence`` to ``collections.abc.Sequence``: in signatures and docs it is always the model."""
    modules = list(package_modules())
    assert len(modules) > 20
    for module in modules:
        assert vars(module).get("Sequence", skipcall_async.Sequence) is skipcall_async.Sequence, module.__name__


def is_type_alias(value: object) -> bool:
    """True for a typing construct such as ``Literal[...]``, ``A | B`` or ``Callable[..., X]`` (not a class)."""
    return not inspect.isclass(value) and typing.get_origin(value) is not None


def package_modules() -> Iterator[types.ModuleType]:
    """Every module of skipcall_async, imported (``__main__`` modules excluded: importing them runs them)."""
    yield skipcall_async
    for info in pkgutil.walk_packages(skipcall_async.__path__, "skipcall_async."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def defined_aliases() -> dict[int, tuple[str, str]]:
    """id of each type alias assigned at the top level of a package module -> (module, name) where assigned."""
    return {id(value): (module.__name__, name) for module, name, value, _ in alias_assignments()}


def alias_assignments() -> Iterator[tuple[types.ModuleType, str, Any, str | None]]:
    """(module, name, value, docstring under the assignment) of each top-level type alias of the package."""
    for module in package_modules():
        body = ast.parse(inspect.getsource(module)).body
        for node, following in zip(body, [*body[1:], None], strict=True):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            else:
                continue
            doc = None
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                doc = following.value.value if isinstance(following.value.value, str) else None
            for target in targets:
                value = vars(module).get(target.id) if isinstance(target, ast.Name) else None
                if is_type_alias(value):
                    yield module, target.id, value, doc


def public_signatures() -> Iterator[tuple[str, Callable[..., Any] | type, dict[str, Any]]]:
    """(where, annotated object, its module's namespace) for every public method of the client and public model."""
    client = skipcall_async.SkipcallClient
    for name, member in [("__init__", client.__init__), *inspect.getmembers(client)]:
        function = member.fget if isinstance(member, property) else member
        if (name == "__init__" or not name.startswith("_")) and inspect.isfunction(function):
            yield f"SkipcallClient.{name}", function, function.__globals__
    for name in skipcall_async.__all__:
        model = getattr(skipcall_async, name)
        if inspect.isclass(model):
            for klass in model.__mro__:
                if klass.__module__.startswith("skipcall_async"):
                    yield f"{name} ({klass.__name__})", klass, vars(sys.modules[klass.__module__])
            for attr, member in inspect.getmembers(model, inspect.isfunction):
                if not attr.startswith("_"):
                    yield f"{name}.{attr}", member, member.__globals__


def classes_in(hint: Any) -> Iterator[type]:
    """The classes a resolved annotation is made of (the values inside a ``Literal`` are not types)."""
    if inspect.isclass(hint):
        yield hint
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return
    if inspect.isclass(origin):
        yield origin
    for arg in typing.get_args(hint):
        for item in arg if isinstance(arg, list) else [arg]:  # Callable[[A, B], R] nests a list
            yield from classes_in(item)


def names_in(annotation: str, namespace: dict[str, Any]) -> Iterator[Any]:
    """The objects each name (or dotted name) of an annotation string refers to."""

    def walk(node: ast.AST) -> Iterator[ast.expr]:
        if isinstance(node, ast.Name | ast.Attribute):
            yield node
        else:
            for child in ast.iter_child_nodes(node):
                yield from walk(child)

    for node in walk(ast.parse(annotation, mode="eval").body):
        yield eval(compile(ast.Expression(node), "<annotation>", "eval"), namespace)


def public_references() -> dict[tuple[str, str], set[str]]:
    """(module, name) of every package class or alias a public signature mentions -> where it is mentioned."""
    aliases = defined_aliases()
    found: dict[tuple[str, str], set[str]] = {}
    for where, annotated, namespace in public_signatures():
        # Every annotation resolved (names imported only for type checking, too); aliases come back expanded.
        hints = typing.get_type_hints(annotated, localns={**vars(skipcall_async), **namespace})
        for hint in hints.values():
            for klass in classes_in(hint):
                if klass.__module__.startswith("skipcall_async"):
                    found.setdefault((klass.__module__, klass.__qualname__), set()).add(where)
        raw = inspect.get_annotations(annotated)  # the source's own names, aliases included
        if isinstance(annotated, type):
            raw = {k: v for k, v in raw.items() if k in hints}
        for annotation in raw.values():
            scope = {**vars(skipcall_async), **namespace}
            for obj in names_in(annotation, scope) if isinstance(annotation, str) else [annotation]:
                if id(obj) in aliases:
                    found.setdefault(aliases[id(obj)], set()).add(where)
    return found


def resolve(module: str, qualname: str) -> Any:
    """The object named ``qualname`` (dotted for a nested class) in the module named ``module``."""
    obj: Any = sys.modules[module]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_exported_type_alias_has_a_docstring() -> None:
    """An exported alias (Granularity, DateLike, ...) is documented by a string right under its assignment."""
    exported = {id(getattr(skipcall_async, name)): name for name in skipcall_async.__all__}
    documented = {exported[id(value)]: doc for _, _, value, doc in alias_assignments() if id(value) in exported}
    assert {"Granularity", "DateLike"} <= set(documented)
    assert [name for name, doc in documented.items() if not (doc or "").strip()] == []


def test_every_type_in_a_public_signature_is_exported() -> None:
    """Each class or type alias of the package that a public signature names can be imported from skipcall_async.

    The walk covers ``SkipcallClient`` (``__init__``, every public method and property) and every exported class
    with its fields and public methods. ``typing.get_type_hints`` resolves each annotation and gives the classes
    (through aliases too); since it expands aliases, their names are read from the annotation source.
    """
    exported = {id(getattr(skipcall_async, name)) for name in skipcall_async.__all__}
    references = public_references()
    assert {
        ("skipcall_async._models.calls", "Call"),
        ("skipcall_async._types", "NotGiven"),
        ("skipcall_async._types", "Granularity"),
        ("skipcall_async._types", "DateLike"),
        ("skipcall_async._events", "Hook"),
    } <= set(references), "the walk no longer sees types it must see"
    missing = {
        f"{module}.{name} (in {', '.join(sorted(where))})"
        for (module, name), where in references.items()
        if id(resolve(module, name)) not in exported
    }
    assert not missing, "not exported from skipcall_async: " + "; ".join(sorted(missing))
