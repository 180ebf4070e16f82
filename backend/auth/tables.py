from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Officer


class PasskeyCredential(Table, tablename="passkey_credential"):
    """One registered passkey: one per device an officer enrolled. Revoked ones are kept for the record."""

    officer = ForeignKey(references=Officer, null=False)
    credential_id = Varchar(length=512, unique=True, index=True)  # base64url
    public_key = Text()  # base64url of the COSE key
    sign_count = Integer(default=0)
    transports = Text(default="[]")  # JSON list
    label = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Enrollment(Table, tablename="enrollment"):
    """A single-use, expiring link that lets a device register a passkey for an officer."""

    officer = ForeignKey(references=Officer, null=False)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class AuthChallenge(Table, tablename="auth_challenge"):
    """A WebAuthn challenge waiting for its answer; deleted when answered, useless after it expires."""

    key_hash = Varchar(length=64, unique=True, index=True)
    purpose = Varchar(length=16)  # "register" | "signin" | "stepup"
    challenge = Varchar(length=128)  # base64url
    officer = ForeignKey(references=Officer, null=True)
    enrollment = ForeignKey(references=Enrollment, null=True)
    expires_at = Timestamptz()


class Session(Table, tablename="web_session"):
    """A signed-in browser. Kept in the database so that several app processes share it."""

    token_hash = Varchar(length=64, unique=True, index=True)
    officer = ForeignKey(references=Officer, null=False)
    credential = ForeignKey(references=PasskeyCredential, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    user_agent = Varchar(length=300, default="")
    demo = Integer(default=0)  # 1 when made by the GIAMSAT_DEMO sign-in
    # The last passkey assertion made in this session (sign-in, enrollment or step-up); None for a demo sign-in.
    # Adding a passkey without an enrollment link needs it to be recent (GIAMSAT_STEPUP_MINUTES).
    passkey_verified_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    """A bearer token for a machine client (e.g. the upstream gateway). Only its SHA-256 is stored."""

    officer = ForeignKey(references=Officer, null=False)
    name = Varchar(length=120, default="")
    prefix = Varchar(length=16)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)  # GIAMSAT_TOKEN_DAYS after creation; set for old rows by migration


class SignInAttempt(Table, tablename="signin_attempt"):
    """Sign-in and enrollment attempts per client address and minute, shared by every app process."""

    bucket = Varchar(length=120, unique=True, index=True)  # "<address>|<minute since the epoch>"
    minute = Integer(index=True)  # for clearing old windows
    attempts = Integer(default=0)
