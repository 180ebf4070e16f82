from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Branch, Officer


class StoredFile(Table, tablename="stored_file"):
    """A file the server holds, named by the SHA-256 of its bytes as uploaded; the row is written after the bytes.

    Evidence: deleting an officer or a branch must not take their photos with it (RESTRICT, not CASCADE).
    """

    sha256 = Varchar(length=64, unique=True)
    content_type = Varchar(length=32)
    size = Integer()
    width = Integer()  # as a person sees the photo (EXIF orientation applied)
    height = Integer()
    uploaded_by = ForeignKey(references=Officer, null=False, on_delete=OnDelete.restrict)
    uploaded_branch = ForeignKey(references=Branch, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class FileAttachment(Table, tablename="file_attachment"):
    """A stored file held by a record (e.g. a logbook entry), written by the command that makes the record.

    One row per (sha256, record_type, record_id): Piccolo has no composite unique constraint, so
    services.attach checks before inserting.
    """

    sha256 = Varchar(length=64, index=True)
    record_type = Varchar(length=32)
    record_id = Integer(index=True)
    # The branch whose people may see the file (services.may_see).
    branch = ForeignKey(references=Branch, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
