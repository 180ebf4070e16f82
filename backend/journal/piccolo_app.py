import os

from piccolo.conf.apps import AppConfig

from backend.journal.tables import JournalChainHead, JournalEntry, SigningNonce

APP_CONFIG = AppConfig(
    app_name="journal",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[JournalEntry, JournalChainHead, SigningNonce],
    migration_dependencies=["backend.officers.piccolo_app"],
)
