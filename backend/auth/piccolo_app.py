import os

from piccolo.conf.apps import AppConfig

from backend.auth.tables import ApiToken, AuthChallenge, Enrollment, PasskeyCredential, Session, SignInAttempt

APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PasskeyCredential, Enrollment, AuthChallenge, Session, ApiToken, SignInAttempt],
    migration_dependencies=["backend.officers.piccolo_app"],
)
