"""What command handlers and pages call (backend/files/services.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.errors import DomainError
from tests.conftest import World, in_app, sign_in_as
from tests.files.photos import phone_jpeg, plain_jpeg, png, sha


def uploaded(client: TestClient, world: World, data: bytes, content_type: str = "image/jpeg") -> str:
    sign_in_as(client, world["officer"])
    response = client.put(f"/api/v1/files/{sha(data)}", content=data, headers={"content-type": content_type})
    assert response.status_code == 201
    return sha(data)


async def attachments() -> list[dict[str, Any]]:
    from backend.files.tables import FileAttachment

    return await FileAttachment.select(
        FileAttachment.sha256, FileAttachment.record_type, FileAttachment.record_id, FileAttachment.branch
    ).order_by(FileAttachment.id)


def refusal(client: TestClient, fn: Any, *args: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        in_app(client, fn, *args)
    return caught.value


def test_require_uploaded_passes_when_every_file_is_stored(client: TestClient, world: World) -> None:
    from backend.files.services import require_uploaded

    first, second = uploaded(client, world, plain_jpeg()), uploaded(client, world, png(), "image/png")

    assert in_app(client, require_uploaded, [first, second, first]) is None
    assert in_app(client, require_uploaded, []) is None


def test_require_uploaded_names_the_missing_photo(client: TestClient, world: World) -> None:
    from backend.files.services import require_uploaded

    present, missing = uploaded(client, world, plain_jpeg()), "e" * 64

    error = refusal(client, require_uploaded, [present, missing])

    assert (error.code, error.params) == ("photo_missing", {"sha": missing})
    assert error.message == "A photo of this entry has not reached the server yet: %(sha)s"


def test_attach_twice_links_once_and_files_of_keeps_attach_order(client: TestClient, world: World) -> None:
    from backend.files.services import attach, files_of

    first, second = uploaded(client, world, phone_jpeg()), uploaded(client, world, plain_jpeg())

    for sha256 in (second, first, second):
        in_app(client, attach, sha256, "logbook_entry", 5, world["branch"])
    in_app(client, attach, first, "logbook_entry", 6, world["branch"])

    assert in_app(client, files_of, "logbook_entry", 5) == [second, first]
    assert in_app(client, files_of, "logbook_entry", 6) == [first]
    assert in_app(client, files_of, "seal", 5) == []
    assert len(in_app(client, attachments)) == 3


def test_attach_unknown_file_is_refused_and_links_nothing(client: TestClient, world: World) -> None:
    from backend.files.services import attach

    error = refusal(client, attach, "f" * 64, "logbook_entry", 1, world["branch"])

    assert error.code == "photo_missing" and in_app(client, attachments) == []


def test_attach_in_a_transaction_that_rolls_back_links_nothing(client: TestClient, world: World) -> None:
    from backend import db
    from backend.files.services import attach

    photo = uploaded(client, world, plain_jpeg())
    engine = client.app.state.engine

    async def refused_command() -> None:
        async with db.write_transaction(engine):
            await attach(photo, "logbook_entry", 9, world["branch"])
            raise DomainError("later_refusal", "refused after attaching")

    with pytest.raises(DomainError):
        in_app(client, refused_command)

    assert in_app(client, attachments) == []


def test_may_see_follows_uploader_and_the_readers_of_the_records_holding_it(client: TestClient, world: World) -> None:
    from backend.files.services import attach, may_see
    from backend.officers.services import actor_by_id

    photo = uploaded(client, world, plain_jpeg())  # by the officer of branch B1
    people = ["officer", "supervisor", "warehouse_user", "admin", "other_officer"]
    actors = {who: in_app(client, actor_by_id, world[who]) for who in people}

    def seen() -> dict[str, bool]:
        return {who: in_app(client, may_see, actors[who], photo) for who in people}

    alone = seen()
    in_app(client, attach, photo, "logbook_entry", 3, world["branch"])
    in_own_branch = seen()
    in_app(client, attach, photo, "seals_record_to", 4, world["other_branch"])  # a record handed to branch B2
    in_both = seen()
    in_app(client, attach, photo, "not_a_registered_kind", 5, world["branch"])
    unknown_kind = seen()

    assert alone == {"officer": True, "supervisor": False, "warehouse_user": False, "admin": False, "other_officer": False}
    # Warehouse staff do not read the logbook, so not its photos either (issue 11, finding 9); nor does an admin.
    assert in_own_branch == {**alone, "supervisor": True}
    assert in_both == {**in_own_branch, "other_officer": True}
    assert unknown_kind == in_both  # a kind nobody registered is readable by nobody
    assert in_app(client, may_see, actors["officer"], "0" * 64) is False  # nobody "sees" a file that is not there
