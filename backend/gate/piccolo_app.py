import os

from piccolo.conf.apps import AppConfig

from backend.gate.tables import GateReport, Passage

# A gate card is computed from the declarations mirror (backend/declarations), never stored; these tables hold
# what officers did at the gate.
APP_CONFIG = AppConfig(
    app_name="gate",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Passage, GateReport],
    migration_dependencies=["backend.declarations.piccolo_app"],
)
