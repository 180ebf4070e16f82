from piccolo.columns import UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Location, Officer


class LogbookEntry(Table, tablename="logbook_entry"):
    """An entry in the logbook; written only by the `logbook.add_entry` command."""

    command_id = UUID(unique=True)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    text = Text()
    representative_name = Varchar(length=200, default="")
    representative_id_number = Varchar(length=32, default="")
    issued_at = Timestamptz()  # device clock
    recorded_at = Timestamptz(default=TimestamptzNow())  # server clock
