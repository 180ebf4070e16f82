import os

from piccolo.conf.apps import AppConfig

from backend.sync.tables import ContingencyPeriod, DeviceQueueReport, ReconciliationReview, UpstreamOutage

APP_CONFIG = AppConfig(
    app_name="sync",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ContingencyPeriod, ReconciliationReview, UpstreamOutage, DeviceQueueReport],
    migration_dependencies=["backend.officers.piccolo_app"],
)
