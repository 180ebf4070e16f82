import os

from piccolo.conf.apps import AppConfig

# The inbox has no tables: its items are the domains' own rows, read through their providers (registry.py).
APP_CONFIG = AppConfig(
    app_name="inbox",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
)
