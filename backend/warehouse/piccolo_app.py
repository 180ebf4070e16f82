import os

from piccolo.conf.apps import AppConfig

from backend.warehouse.tables import AirCargoAnomaly, Operator, OperatorPremises, StaffPremises

APP_CONFIG = AppConfig(
    app_name="warehouse",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[AirCargoAnomaly, Operator, OperatorPremises, StaffPremises],
    migration_dependencies=["backend.officers.piccolo_app"],
)
