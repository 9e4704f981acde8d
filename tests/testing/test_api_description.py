"""The one reading of the API description the suite makes, and the fake server's data under it."""

from __future__ import annotations

from skipcall_async.testing import API_DESCRIPTION, Store
from support.api_description import DESCRIPTION, RAW, READ_AS_STRINGS

SCHEMAS = "/components/schemas"


def test_the_description_ships_with_the_package_and_holds_21_operations() -> None:
    """``API_DESCRIPTION`` is the packaged copy the fake server is held to."""
    assert API_DESCRIPTION.name == "openapi.yaml"
    assert API_DESCRIPTION.parent.name == "testing"
    assert sum(len(item) for item in RAW["paths"].values()) == 21


def test_exactly_the_fields_typed_object_that_hold_strings_are_read_as_nullable_strings() -> None:
    """A refreshed description that adds or drops one shows here, so the reading is never widened unnoticed."""
    changed = list(READ_AS_STRINGS)
    assert changed == [
        f"{SCHEMAS}/CallWithContactDTO/properties/adminProviderSid",
        f"{SCHEMAS}/CallWithContactDTO/properties/startedAt",
        f"{SCHEMAS}/CallWithContactDTO/properties/endedAt",
        f"{SCHEMAS}/CallWithContactDTO/properties/syncedWithCrmDate",
        f"{SCHEMAS}/CallTranscription/properties/summary",
        f"{SCHEMAS}/CallTranscription/properties/startedAt",
        f"{SCHEMAS}/CallTranscription/properties/endedAt",
        f"{SCHEMAS}/Contact/properties/email",
        f"{SCHEMAS}/Contact/properties/company",
    ]
    email = DESCRIPTION["components"]["schemas"]["Contact"]["properties"]["email"]
    assert (email["type"], email["nullable"]) == ("string", True)
    assert RAW["components"]["schemas"]["Contact"]["properties"]["email"]["type"] == "object"  # the copy is untouched


def test_the_fake_server_holds_strings_or_null_in_those_fields() -> None:
    """What the reading says, the seeded data does (Schemathesis checks the answers too)."""
    store = Store()
    for kind, records in (
        ("CallWithContactDTO", store.calls.values()),
        ("CallTranscription", store.transcriptions.values()),
        ("Contact", store.contacts.values()),
    ):
        fields = [path.rsplit("/", 1)[1] for path in READ_AS_STRINGS if f"/{kind}/" in path]
        values = [record[field] for record in records for field in fields]
        assert values
        assert all(value is None or isinstance(value, str) for value in values)
        assert any(isinstance(value, str) for value in values)
