"""Transit: a case per transit declaration, its timeline, the departure branch's letters and risk notes, the
destination's arrival check (Arts 41-42)."""
import os

from piccolo.conf.apps import AppConfig

from backend.transit.tables import ArrivalCheck, RiskNote, TransitCase, TransitEvent, VerificationRequest

APP_CONFIG = AppConfig(
    app_name="transit",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[TransitCase, TransitEvent, VerificationRequest, RiskNote, ArrivalCheck],
    migration_dependencies=["backend.declarations.piccolo_app", "backend.officers.piccolo_app"],
)
