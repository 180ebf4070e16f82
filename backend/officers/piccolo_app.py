import os

from piccolo.conf.apps import AppConfig

from backend.officers.tables import Branch, Location, Officer

APP_CONFIG = AppConfig(
    app_name="officers",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Branch, Location, Officer],
)
