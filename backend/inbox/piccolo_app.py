import os

from piccolo.conf.apps import AppConfig

from backend.inbox.tables import InboxEvent, InboxSeen

# The inbox's items are the domains' own rows, read through their providers (registry.py); its two tables only
# number the changes for the live stream (tables.py).
APP_CONFIG = AppConfig(
    app_name="inbox",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[InboxSeen, InboxEvent],
)
