import os

from piccolo.conf.apps import AppConfig

from backend.seals.tables import (
    HandoverRecord,
    Seal,
    SealDeclaration,
    SealCorrection,
    SealedConfirmation,
    SealingMismatch,
    SealRequirementDecision,
    ViolationRecord,
)

APP_CONFIG = AppConfig(
    app_name="seals",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[SealRequirementDecision, Seal, SealDeclaration, SealCorrection, SealedConfirmation, HandoverRecord, ViolationRecord, SealingMismatch],
    migration_dependencies=["backend.declarations.piccolo_app"],
)
