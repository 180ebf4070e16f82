"""The barcodes API: a photo of a list's code, decoded on the server (when the page's camera reader cannot)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.datastructures import State

from backend.auth.middleware import require_roles
from backend.barcodes import services
from backend.barcodes.schemas import CodeError, DecodedCode, DecodedPhoto
from backend.files import images
from backend.lib.i18n import gettext
from backend.officers.tables import Role

CAN_DECODE = (Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE)
# Litestar stops reading past this and answers 413; a photo a little over the 10 MB limit is told the limit
# in words by images.check_size (as uploads are, backend/files/controllers.py).
MAX_BODY_BYTES = 12 * 1024 * 1024


@post(
    "/api/v1/barcodes/decode",
    guards=[require_roles(*CAN_DECODE)],
    request_max_body_size=MAX_BODY_BYTES,
    status_code=200,
)
async def decode_photo(request: Request[Any, Any, Any], state: State) -> DecodedPhoto:
    """The codes in a photo sent as the raw body (Content-Type image/jpeg, image/png or image/webp)."""
    images.check_size(request.content_length)  # before reading the body, when the client said its size
    body = await request.body()
    found = await services.read_photo(services.keyring_for(state.settings), body, request.headers.get("content-type"))
    return DecodedPhoto(
        codes=[
            DecodedCode(
                text=text,
                payload=payload,
                error=None if error is None else CodeError(error=error.code, message=gettext(error.message, **error.params)),
            )
            for text, payload, error in found
        ]
    )


ROUTES = [decode_photo]
