import os

from piccolo.conf.apps import AppConfig

# The shell has no tables; it is an app so that every domain is found the same way.
APP_CONFIG = AppConfig(
    app_name="shell",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
)
