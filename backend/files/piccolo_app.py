import os

from piccolo.conf.apps import AppConfig

from backend.files.tables import FileAttachment, StoredFile

APP_CONFIG = AppConfig(
    app_name="files",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[StoredFile, FileAttachment],
    migration_dependencies=["backend.officers.piccolo_app"],
)
