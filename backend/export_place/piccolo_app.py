"""Export place: changes of export place and the exit gate's letters for lots from a bonded warehouse (Art 43.3.b-c)."""
import os

from piccolo.conf.apps import AppConfig

from backend.export_place.tables import ExportChange, ExportChangeEvent, ExportLetter

APP_CONFIG = AppConfig(
    app_name="export_place",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ExportChange, ExportChangeEvent, ExportLetter],
    migration_dependencies=["backend.transit.piccolo_app", "backend.officers.piccolo_app"],
)
