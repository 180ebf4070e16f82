import os

from piccolo.conf.apps import AppConfig

from backend.push.tables import PushSubscription

APP_CONFIG = AppConfig(
    app_name="push",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PushSubscription],
    migration_dependencies=["backend.officers.piccolo_app", "backend.auth.piccolo_app"],
)
