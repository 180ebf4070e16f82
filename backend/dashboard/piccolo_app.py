import os

from piccolo.conf.apps import AppConfig

# The dashboard has no tables: it counts the other domains' rows.
APP_CONFIG = AppConfig(
    app_name="dashboard",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
)
