import os

from piccolo.conf.apps import AppConfig

from backend.cfs.tables import CfsLine, CfsList

APP_CONFIG = AppConfig(
    app_name="cfs",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CfsList, CfsLine],
    migration_dependencies=["backend.officers.piccolo_app"],
)
