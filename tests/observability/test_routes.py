"""Each operation's route is the API description's (method, path template), and builds the path the call sends."""

from __future__ import annotations

import inspect
import re

import yaml

from skipcall_async import SkipcallClient
from skipcall_async._resources import calls, contacts, organization, sequences, stats, tags
from skipcall_async._routes import Route
from skipcall_async.testing import API_DESCRIPTION

ROUTES = [
    value
    for module in (calls, contacts, organization, sequences, stats, tags)
    for value in vars(module).values()
    if isinstance(value, Route)
]


def test_the_routes_are_the_api_descriptions_operations() -> None:
    """21 routes, one per (method, template) of the description, each template written as the description does."""
    described = yaml.safe_load(API_DESCRIPTION.read_text())["paths"]
    operations = {
        (method.upper(), path) for path, item in described.items() for method in item if method != "parameters"
    }
    assert len(ROUTES) == len(operations) == 21
    assert {(route.method, route.template) for route in ROUTES} == operations


def test_each_route_names_a_client_operation_once() -> None:
    """The operation names are the client's methods (the iterators reuse their list_* route)."""
    names = [route.operation for route in ROUTES]
    assert len(set(names)) == len(names)
    methods = {name for name, member in inspect.getmembers(SkipcallClient, inspect.iscoroutinefunction)}
    operations = {name for name in methods if not name.startswith("_") and name not in ("aclose",)}
    assert set(names) == operations


def test_a_route_fills_its_placeholders_in_order() -> None:
    """`path` puts the (already encoded) segments where the template has placeholders, and nothing else moves."""
    route = Route("x", "GET", "/v1/sequences/{id}/contacts")
    assert route.path("s%2F1") == "/v1/sequences/s%2F1/contacts"
    assert Route("y", "GET", "/v1/100%/{id}").path("a") == "/v1/100%/a"
    for each in ROUTES:
        count = len(re.findall(r"\{[^}]+\}", each.template))
        filled = each.path(*(f"seg{i}" for i in range(count)))
        assert re.fullmatch(re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(each.template)), filled), each
