import os

from piccolo.conf.apps import AppConfig

from backend.vehicles.tables import KeyVehicle, VehicleAssignment, VehicleJournalEntry

APP_CONFIG = AppConfig(
    app_name="vehicles",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[KeyVehicle, VehicleAssignment, VehicleJournalEntry],
    migration_dependencies=["backend.officers.piccolo_app"],
)
