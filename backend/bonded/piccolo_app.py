import os

from piccolo.conf.apps import AppConfig

from backend.bonded.tables import BondedEntry, BondedLot, BondedProposal, BondedRelease, BondedReleaseLine

APP_CONFIG = AppConfig(
    app_name="bonded",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[BondedEntry, BondedLot, BondedRelease, BondedReleaseLine, BondedProposal],
    migration_dependencies=["backend.officers.piccolo_app"],
)
