import os

from piccolo.conf.apps import AppConfig

# No tables: a gate card is computed from the declarations mirror (backend/declarations), never stored twice.
APP_CONFIG = AppConfig(
    app_name="gate",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["backend.declarations.piccolo_app"],
)
