import os

from piccolo.conf.apps import AppConfig

from backend.logbook.tables import LogbookEntry

APP_CONFIG = AppConfig(
    app_name="logbook",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[LogbookEntry],
    migration_dependencies=["backend.officers.piccolo_app"],
)
