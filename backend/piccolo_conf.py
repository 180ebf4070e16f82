"""Piccolo's configuration: the engine from settings and the registry of domain apps.

Used by Piccolo's own tooling (`piccolo migrations ...`, run with PICCOLO_CONF=backend.piccolo_conf)
and by `giamsat db upgrade`. The running app makes its own engine from the same settings (backend/db.py).
"""

from piccolo.conf.apps import AppRegistry

from backend.db import make_engine
from backend.domains import DOMAINS
from backend.settings import get_settings

DB = make_engine(get_settings().database)

APP_REGISTRY = AppRegistry(apps=[f"backend.{domain}.piccolo_app" for domain in DOMAINS])
