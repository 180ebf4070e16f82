"""The one list of domains.

Each name is a package under `backend/` that is a Piccolo app (`piccolo_app.py`) and may have
`controllers.py` (a `ROUTES` list) and `commands.py` (command handlers registered with the journal).
`app.py`, `piccolo_conf.py` and the journal registry all read this list; nothing else lists domains.
"""

DOMAINS: tuple[str, ...] = (
    "officers",
    "auth",
    "journal",
    "files",
    "barcodes",
    "declarations",
    "gate",
    "paper",
    "seals",
    "transit",
    "export_place",
    "warehouse",
    "cfs",
    "bonded",
    "vehicles",
    "loading",
    "logbook",
    "sync",
    "outbox",
    "inbox",
    "dashboard",
    "push",
    "shell",
)
