"""The curated public API: sorted, complete, documented."""

from __future__ import annotations

import inspect
import types

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
            own = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__  # not one inherited
            assert (own or "").strip(), f"{module.__name__}.{name} has no docstring of its own"
    for name, member in inspect.getmembers(skipcall_async.SkipcallClient):
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
            assert member.__doc__, f"SkipcallClient.{name} has no docstring"


def test_not_given_reads_well() -> None:
    """The partial-update sentinel is falsy and prints as its name."""
    assert not skipcall_async.NOT_GIVEN
    assert repr(skipcall_async.NOT_GIVEN) == "NOT_GIVEN"
