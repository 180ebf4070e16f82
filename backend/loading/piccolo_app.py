import os

from piccolo.conf.apps import AppConfig

from backend.loading.tables import LoadingContainer, LoadingPlan

APP_CONFIG = AppConfig(
    app_name="loading",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[LoadingPlan, LoadingContainer],
    migration_dependencies=["backend.officers.piccolo_app"],
)
