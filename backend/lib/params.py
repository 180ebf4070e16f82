"""Path and query parameters shared by the domains' routes."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

from backend.lib.structs import MAX_ROW_ID

# A row id in a path: beyond the database's integer it is a 400 in the caller's language, not a database error.
PathRowId = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID)]
