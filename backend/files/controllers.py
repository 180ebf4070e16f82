"""The files API: devices upload photos before the commands that use them; pages show the EXIF-free copies.

Uploads are `PUT /api/v1/files/<sha256>` with the raw bytes and their Content-Type (docs/offline.md): PUT,
because the name is the content, so sending the same file again is the same request and changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from backend.auth.middleware import require_roles
from backend.files import images, services
from backend.files.schemas import FileUploaded
from backend.files.store import file_store
from backend.lib import quotas
from backend.officers.tables import Role

CAN_UPLOAD = (Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE)
# Litestar stops reading past this and answers 413. It is above the file limit so that a file a little too
# large is told the limit in words (images.check_size); anything larger is cut off unread.
MAX_BODY_BYTES = 12 * 1024 * 1024
# The name is the content: a copy never changes, so browsers may keep it for good (the viewer's own cache only).
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


@put("/api/v1/files/{sha256:str}", guards=[require_roles(*CAN_UPLOAD)], request_max_body_size=MAX_BODY_BYTES)
async def upload_file(request: Request[Any, Any, Any], state: State, sha256: FromPath[str]) -> Response[FileUploaded]:
    services.check_sha256(sha256)
    images.check_size(request.content_length)  # before reading the body, when the client said its size
    # Per-officer quotas (docs/security.md, "Quotas"): the bytes before they are read when the client said how many,
    # the pixels from the header before anything is decoded. A refusal stores nothing.
    limits, officer = quotas.of(state), request.user.id
    if request.content_length is not None:
        limits.upload_bytes.take(officer, request.content_length)
    body = await request.body()
    if request.content_length is None:
        limits.upload_bytes.take(officer, len(body))
    max_pixels = state.settings.quotas.upload_max_megapixels * 1_000_000
    limits.upload_pixels.take(officer, images.header_pixels(body, request.headers.get("content-type"), max_pixels))
    async with limits.turn(officer, "uploads"):  # one photo of an officer decoded at a time
        info, created = await services.save_upload(
            file_store(state.settings), request.user, sha256, request.headers.get("content-type"), body
        )
    return Response(
        FileUploaded(
            sha256=info.sha256,
            content_type=info.content_type,
            size=info.size,
            width=info.width,
            height=info.height,
            created=created,
        ),
        status_code=201 if created else 200,
    )


async def _copy(request: Request[Any, Any, Any], state: State, sha256: str, which: Any) -> Response[bytes]:
    data = await services.viewable_copy(file_store(state.settings), request.user, sha256, which)
    if data is None:
        # 404, not 403: whoever may not see a file is not told that it exists.
        raise NotFoundException()
    return Response(data, media_type="image/jpeg", headers=IMMUTABLE)


@get("/files/{sha256:str}", opt={"no_compression": True})
async def file_display(request: Request[Any, Any, Any], state: State, sha256: FromPath[str]) -> Response[bytes]:
    return await _copy(request, state, sha256, "display")


@get("/files/{sha256:str}/thumb", opt={"no_compression": True})
async def file_thumb(request: Request[Any, Any, Any], state: State, sha256: FromPath[str]) -> Response[bytes]:
    return await _copy(request, state, sha256, "thumb")


ROUTES = [upload_file, file_display, file_thumb]
