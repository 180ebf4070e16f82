"""Declarations: what the gate needs of each customs declaration, mirrored from the upstream system."""
import os

from piccolo.conf.apps import AppConfig

from backend.declarations.tables import Declaration, DeclarationContainer, DeclarationHistory, DeclarationWarning

APP_CONFIG = AppConfig(
    app_name="declarations",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Declaration, DeclarationContainer, DeclarationWarning, DeclarationHistory],
    migration_dependencies=["backend.officers.piccolo_app"],
)
