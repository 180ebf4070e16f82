import os

from piccolo.conf.apps import AppConfig

from backend.gate.tables import CardState, GateReport, Passage

# A gate card is computed from the declarations mirror (backend/declarations); these tables hold what officers did
# at the gate, and the record of the card states devices may have checked (CardState).
APP_CONFIG = AppConfig(
    app_name="gate",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Passage, GateReport, CardState],
    migration_dependencies=["backend.declarations.piccolo_app"],
)
