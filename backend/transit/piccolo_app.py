"""Transit: a case per transit declaration, its timeline and the departure branch's letters (Arts 41-42)."""
import os

from piccolo.conf.apps import AppConfig

from backend.transit.tables import TransitCase, TransitEvent, VerificationRequest

APP_CONFIG = AppConfig(
    app_name="transit",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[TransitCase, TransitEvent, VerificationRequest],
    migration_dependencies=["backend.declarations.piccolo_app", "backend.officers.piccolo_app"],
)
