"""What ``help()`` shows: one client class with its operations, and prose without the site's link syntax."""

from __future__ import annotations

import inspect
import pydoc
import re

import pytest

import skipcall_async
import skipcall_async.testing
from skipcall_async import SkipcallClient
from skipcall_async._client import one_class
from skipcall_async._docstrings import plain

LINK = re.compile(r"\]\[(skipcall_async[\w.]*)?\]")  # [text][skipcall_async.X] or [text][]


def rendered(obj: object) -> str:
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_help_on_the_client_shows_one_class_and_every_operation() -> None:
    """No private mixin or base class, no resolution order; each public method under "Methods defined here"."""
    text = rendered(SkipcallClient)
    assert text.splitlines()[2] == "class SkipcallClient(builtins.object)"
    for private in ("Mixin", "BaseClient", "_resources", "_base_client", "Method resolution order", "inherited"):
        assert private not in text
    public = [name for name, _ in inspect.getmembers(SkipcallClient) if not name.startswith("_")]
    assert len(public) >= 30
    for name in public:
        assert re.search(rf"^ \|  (async )?{name}\b", text, re.M), name
    assert SkipcallClient.__mro__ == (SkipcallClient, object)


def test_help_on_the_client_has_no_link_syntax() -> None:
    """The site's [`Name`][skipcall_async.Name] reads `Name` in help(): the name stays, the syntax goes."""
    text = rendered(SkipcallClient)
    assert not LINK.search(text)
    assert "(`AuthenticationError`," in text
    assert "see `RetryPolicy`." in " ".join(text.split())


@pytest.mark.parametrize("module", [skipcall_async, skipcall_async.testing], ids=lambda m: m.__name__)
def test_no_public_object_shows_link_syntax(module: object) -> None:
    """Every exported class (with its members) and function renders without cross-reference syntax."""
    for name in module.__all__:  # type: ignore[attr-defined]
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert not LINK.search(rendered(obj)), name


def test_the_source_keeps_its_links_for_the_site() -> None:
    """Only the runtime docstrings change: the source, which the site is built from, keeps the cross-references."""
    source = inspect.getsource(inspect.getmodule(SkipcallClient))  # type: ignore[arg-type]
    assert "[`RetryPolicy`][skipcall_async.RetryPolicy]" in source


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("see [`RetryPolicy`][skipcall_async.RetryPolicy].", "see `RetryPolicy`."),
        ("[the policy][skipcall_async.RetryPolicy] and [`Page`][]", "the policy and `Page`"),
        ("a multi-line [`link\ntext`][skipcall_async.Call]", "a multi-line `link\ntext`"),
        ("rows[0][1] and list[str] stay", "rows[0][1] and list[str] stay"),
        ("mapping[key][other] stays", "mapping[key][other] stays"),
    ],
)
def test_plain_replaces_only_cross_references(text: str, shown: str) -> None:
    """Cross-references become their text; indexing and generics are left alone."""
    assert plain(text) == shown


def test_a_class_whose_methods_need_their_class_cell_is_refused() -> None:
    """super() in a moved method would break at run time: refused when the class is built instead."""

    class Base:
        def hello(self) -> str:
            return "base"

    class Uses(Base):
        def hello(self) -> str:
            return "child of " + super().hello()

    with pytest.raises(TypeError, match=r"Uses\.hello uses super\(\)"):
        one_class(Uses)


def test_a_flattened_class_keeps_every_member_as_the_mro_resolved_it() -> None:
    """The most derived definition wins, as it did through the bases."""

    class A:
        def who(self) -> str:
            return "A"

        def only_a(self) -> str:
            return "a"

    class B(A):
        def who(self) -> str:
            return "B"

    flat = one_class(B)
    assert flat.__mro__ == (flat, object)
    assert (flat().who(), flat().only_a()) == ("B", "a")
