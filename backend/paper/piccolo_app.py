import os

from piccolo.conf.apps import AppConfig

from backend.paper.tables import BorderCheck, ExportExitRequest, Form07, PaperReport

APP_CONFIG = AppConfig(
    app_name="paper",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Form07, ExportExitRequest, PaperReport, BorderCheck],
    migration_dependencies=["backend.officers.piccolo_app"],
)
