"""Settings, read from the environment once.

Every variable is documented in `.env.example` and the README. One frozen dataclass per concern;
`get_settings()` builds them on first use and caches the result for the life of the process.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or unsafe; the message says which and what to do."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str

    @property
    def kind(self) -> str:
        """`sqlite` or `postgresql` — what /healthz reports."""
        return "postgresql" if self.url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        if self.kind != "sqlite":
            raise SettingsError("not a SQLite database URL")
        # sqlite:///relative/path.db or sqlite:////absolute/path.db
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True)
class WebSettings:
    origin: str
    demo: bool
    session_idle_minutes: int
    enrollment_hours: int
    frontend_dir: Path
    service_worker_dir: Path
    # A session ends this long after its sign-in, however active (besides the idle limit above).
    session_max_days: int = 7
    # Adding a passkey without an enrollment link needs a passkey assertion in this session this recently.
    stepup_minutes: int = 5
    # An API token stops working this many days after it was made.
    token_days: int = 90
    # Addresses of reverse proxies whose X-Forwarded-For is believed (the sign-in rate limit's key); none: ignored.
    trusted_proxies: frozenset[str] = frozenset()

    @property
    def rp_id(self) -> str:
        """The WebAuthn relying-party id is the bare host of the origin (no scheme, no port)."""
        return urlsplit(self.origin).hostname or "localhost"

    @property
    def secure_cookies(self) -> bool:
        return self.origin.startswith("https://")

    @property
    def is_local(self) -> bool:
        return self.rp_id == "localhost"


@dataclass(frozen=True)
class HelpdeskContact:
    """Whom to call when the customs system fails (Decision 1966 Art 35.2.d.2, 36.2.đ.2): a name and its numbers,
    as written in GIAMSAT_HELPDESK_CONTACTS."""

    name: str
    phones: tuple[str, ...] = ()

    @staticmethod
    def tel(phone: str) -> str:
        """The number to dial (a `tel:` link): its digits, and a leading + if it has one."""
        digits = re.sub(r"\D", "", phone)
        return ("+" if phone.strip().startswith("+") else "") + digits


def parse_helpdesk_contacts(value: str) -> tuple[HelpdeskContact, ...]:
    """`Name: phone, phone; Other name: phone` -> contacts; an entry without a colon is numbers only."""
    contacts = []
    for entry in value.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        name, colon, numbers = entry.partition(":")
        if not colon:
            name, numbers = "", entry
        phones = tuple(phone.strip() for phone in numbers.split(",") if phone.strip())
        contacts.append(HelpdeskContact(name.strip(), phones))
    return tuple(contacts)


@dataclass(frozen=True)
class SyncSettings:
    """How devices keep working offline, and how the server notices that the upstream customs system is down."""

    queue_warn_days: int  # warn on the device when its oldest queued command is older than this
    extra_signed_commands: frozenset[str]  # tests and trials only: more command types that must be signed
    # A command whose device time is further from the server's than this is refused (journal/envelope.py).
    issued_at_max_age_days: int = 366
    issued_at_max_ahead_hours: int = 24
    # A command marked offline that arrives sooner than this after it was made gets the online rules.
    offline_grace_seconds: int = 30
    # An action the server's estimate puts longer than this before the server received it is listed on
    # /reconciliation (docs/offline.md, "The device clock"). giamsat's rule, not the procedure's: Decision 1966 says
    # nothing of device clocks. The default is the age at which a device warns of its queue (3 days).
    clock_past_hours: int = 72
    # The upstream source the server probes (backend/declarations/source.py): a JSON file standing in for the
    # customs gateway (FileSource) until a live adapter exists. None: nothing is probed.
    upstream_file: Path | None = None
    # Seconds between two probes of the upstream source in each app process; 0 switches the probe off.
    upstream_probe_seconds: int = 60
    # Whom to call when the customs system fails, shown on the contingency banner and page (docs/offline.md 6).
    helpdesk_contacts: tuple[HelpdeskContact, ...] = ()
    # A device whose oldest unsent action is older than this (by its last report) is shown to the branch's
    # supervisors (inbox `sync.stale_queue`, the dashboard). giamsat's rule: the procedure says nothing of queues.
    stale_queue_minutes: int = 60


@dataclass(frozen=True)
class QuotaSettings:
    """Per-officer limits (backend/lib/quotas.py; docs/security.md, "Quotas"): each a rate per minute and a burst,
    the most that may be spent at once (a device replaying a shift's queue after an outage)."""

    upload_max_megapixels: int = 12  # a photo's pixels, read from its header before any decoding
    upload_mb_per_minute: int = 20
    upload_mb_burst: int = 200
    upload_megapixels_per_minute: int = 60
    upload_megapixels_burst: int = 600
    commands_per_minute: int = 120  # commands, not requests: a batch of 100 counts 100
    commands_burst: int = 3000
    commands_at_once: int = 1  # an officer's command requests applied at the same time (the others wait their turn)
    uploads_at_once: int = 1  # an officer's photo uploads checked and copied at the same time (the others wait)
    # Per process, not per officer: command batches applied at once; more are answered 503 (lib/admission.py).
    max_batches_in_flight: int = 64


@dataclass(frozen=True)
class GateSettings:
    """The gate check's rules that are giamsat's, not the procedure's (docs/gate.md, "Rules that are giamsat's").
    The server checks with them and the gate page hands them to the device's twin of the check."""

    # Bulk and liquid cargo: how far the weighed weight may be from the declared one, in percent. Decision 1966 sets
    # no figure (Art 35.2.a.2 says only "trọng lượng hàng"): giamsat's rule, not the procedure's.
    weight_tolerance_percent: float = 2.0
    # Whether an X-ray warning (form 03/KQSCT/GSQL) refuses passage. Art 35.4 / 36.4 defer to Art 4.2.a, which is not
    # in the procedure text giamsat holds: giamsat's reading, not the procedure's. Off: shown as a warning.
    xray_warnings_block: bool = True


def _percent(env: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        raise SettingsError(f"{name} must be a number of percent, e.g. 2 or 1.5 (it is {env.get(name)!r})") from None
    if not 0 <= value <= 50:
        raise SettingsError(f"{name} must be between 0 and 50 percent (it is {value:g})")
    return value


@dataclass(frozen=True)
class SealsSettings:
    """Handover records on the receiving page (docs/seals.md, "Receiving"). giamsat's rules, not the procedure's."""

    # A record handed over to a branch and not yet received is listed until it is, and highlighted as overdue after
    # this many days: Art 41.1.4.b has goods past the transport time registered for them followed up; giamsat does
    # not hold that time for a handover record, so this number stands in for it.
    record_overdue_days: int = 3
    # How long a record already checked (received, or found in discrepancy) stays on the receiving page and in the
    # handover_records replica.
    checked_record_days: int = 30


@dataclass(frozen=True)
class OutboxSettings:
    """Delivery of the outbox's messages to the national system (docs/outbox.md)."""

    # The gateway (or the simulator, `giamsat upstream-sim`) the HTTP adapter posts to; "" : nothing is delivered
    # (messages are still made, and wait).
    upstream_url: str = ""
    # Seconds between two delivery passes in each app process; 0 switches the background delivery off.
    interval_seconds: float = 5.0
    # Seconds the adapter waits for the upstream's answer before it counts as no answer (sent again later).
    timeout_seconds: float = 10.0
    # Messages a delivery pass sends in one request (POST {upstream}/messages/batch), at most one per declaration.
    batch_size: int = 100


@dataclass(frozen=True)
class PushSettings:
    """Web Push notifications to supervisors' devices (backend/push; docs/inbox.md, "Notifications (Web Push)")."""

    # The VAPID private key (P-256), PEM or base64url of the raw 32-byte key; "": one is made on first use and kept
    # in the data directory (vapid_private_key.pem), so subscriptions survive restarts and every process agrees.
    vapid_private_key: str = field(default="", repr=False)
    # Whom a push service contacts about our pushes (RFC 8292 `sub`): a mailto: or an https: address.
    vapid_subject: str = "mailto:giamsat@localhost"
    timeout_seconds: float = 10.0  # how long one push request may take before it counts as a failure
    ttl_seconds: int = 24 * 3600  # how long a push service keeps a notification for a device that is off
    max_failures: int = 5  # a subscription failing this many times in a row (not 404/410: those at once) is deleted


@dataclass(frozen=True)
class InboxSettings:
    """The live inbox (docs/inbox.md, "Live")."""

    # Seconds between two refreshes of the open inboxes when no command was applied (a deadline passing, a
    # declaration received from the national system, another process's command on SQLite).
    refresh_seconds: float = 30.0
    # Seconds the refresher rests after a refresh: the commands of that time are refreshed together.
    tick_seconds: float = 0.2
    # Seconds a live stream lasts before the browser reconnects from its cursor (and its session is checked again).
    stream_seconds: float = 300.0
    keepalive_seconds: float = 15.0  # a comment line on a quiet stream
    retry_seconds: float = 2.0  # the browser's wait before it reconnects
    keep_days: int = 30  # inbox events older than this are deleted; a page with an older cursor starts again
    # The most items of one kind the inbox shows, the newest; the group says when older ones are left out (their
    # list page has them all). A branch rarely has this many decisions of one kind waiting.
    max_per_kind: int = 200


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    web: WebSettings
    data_dir: Path
    secret_key: str = field(repr=False)
    sync: SyncSettings = field(default_factory=lambda: SyncSettings(3, frozenset()))
    quotas: QuotaSettings = field(default_factory=QuotaSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    seals: SealsSettings = field(default_factory=SealsSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    push: PushSettings = field(default_factory=PushSettings)


def _load_or_create_secret(data_dir: Path) -> str:
    """A secret key kept under the data directory, created on first start when none is given.

    Several app processes on one machine share the same file, so their CSRF tokens and signatures agree.
    """
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, one writes and the other reads what was written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = int(env.get(name) or default)
    if value < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1 (it is {value})")
    return value


def _not_negative(env: dict[str, str], name: str, default: int) -> int:
    value = int(env.get(name) or default)
    if value < 0:
        raise SettingsError(f"{name} must be a whole number, 0 or more (it is {value})")
    return value


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, e.g. 5 or 0.5 (it is {env.get(name)!r})") from None
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more seconds (it is {value:g})")
    return value


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default); refuses unsafe combinations."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("GIAMSAT_DATA_DIR") or "./var").resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'giamsat.db'}"
    origin = (env.get("GIAMSAT_ORIGIN") or "http://localhost:8000").rstrip("/")
    web = WebSettings(
        origin=origin,
        demo=_flag(env.get("GIAMSAT_DEMO")),
        session_idle_minutes=int(env.get("GIAMSAT_SESSION_IDLE_MINUTES") or 12 * 60),
        enrollment_hours=int(env.get("GIAMSAT_ENROLLMENT_HOURS") or 72),
        frontend_dir=Path(env.get("GIAMSAT_FRONTEND_DIR") or REPO_ROOT / "frontend"),
        service_worker_dir=REPO_ROOT / "service_worker",
        session_max_days=int(env.get("GIAMSAT_SESSION_MAX_DAYS") or 7),
        stepup_minutes=int(env.get("GIAMSAT_STEPUP_MINUTES") or 5),
        token_days=int(env.get("GIAMSAT_TOKEN_DAYS") or 90),
        trusted_proxies=frozenset(
            address.strip() for address in (env.get("GIAMSAT_TRUSTED_PROXIES") or "").split(",") if address.strip()
        ),
    )
    if web.demo and not web.is_local:
        raise SettingsError(
            f"GIAMSAT_DEMO=1 enables a password-less demo sign-in and is refused for origin {origin}: "
            "it is only allowed when GIAMSAT_ORIGIN is http://localhost:PORT"
        )
    secret_key = env.get("GIAMSAT_SECRET_KEY") or _load_or_create_secret(data_dir)
    sync = SyncSettings(
        queue_warn_days=int(env.get("GIAMSAT_QUEUE_WARN_DAYS") or 3),
        extra_signed_commands=frozenset(
            name.strip() for name in (env.get("GIAMSAT_EXTRA_SIGNED_COMMANDS") or "").split(",") if name.strip()
        ),
        issued_at_max_age_days=int(env.get("GIAMSAT_ISSUED_AT_MAX_AGE_DAYS") or 366),
        issued_at_max_ahead_hours=int(env.get("GIAMSAT_ISSUED_AT_MAX_AHEAD_HOURS") or 24),
        offline_grace_seconds=int(env.get("GIAMSAT_OFFLINE_GRACE_SECONDS") or 30),
        clock_past_hours=_positive(env, "GIAMSAT_CLOCK_PAST_HOURS", 72),
        upstream_file=Path(env["GIAMSAT_UPSTREAM_FILE"]).resolve() if env.get("GIAMSAT_UPSTREAM_FILE") else None,
        upstream_probe_seconds=_not_negative(env, "GIAMSAT_UPSTREAM_PROBE_SECONDS", 60),
        helpdesk_contacts=parse_helpdesk_contacts(env.get("GIAMSAT_HELPDESK_CONTACTS") or ""),
        stale_queue_minutes=_positive(env, "GIAMSAT_STALE_QUEUE_MINUTES", 60),
    )
    defaults = QuotaSettings()
    quotas = QuotaSettings(
        **{
            name: _positive(env, "GIAMSAT_" + name.upper(), getattr(defaults, name))
            for name in QuotaSettings.__dataclass_fields__
        }
    )
    gate = GateSettings(
        weight_tolerance_percent=_percent(env, "GIAMSAT_WEIGHT_TOLERANCE_PERCENT", 2.0),
        xray_warnings_block=_flag(env.get("GIAMSAT_XRAY_WARNINGS_BLOCK") or "1"),
    )
    seals = SealsSettings(
        record_overdue_days=_positive(env, "GIAMSAT_RECORD_OVERDUE_DAYS", 3),
        checked_record_days=_positive(env, "GIAMSAT_CHECKED_RECORD_DAYS", 30),
    )
    outbox = OutboxSettings(
        upstream_url=(env.get("GIAMSAT_UPSTREAM_URL") or "").strip().rstrip("/"),
        interval_seconds=_seconds(env, "GIAMSAT_OUTBOX_INTERVAL_SECONDS", 5.0),
        timeout_seconds=_seconds(env, "GIAMSAT_OUTBOX_TIMEOUT_SECONDS", 10.0) or 10.0,
        batch_size=_positive(env, "GIAMSAT_OUTBOX_BATCH_SIZE", 100),
    )
    push = PushSettings(
        vapid_private_key=(env.get("GIAMSAT_VAPID_PRIVATE_KEY") or "").strip(),
        vapid_subject=(env.get("GIAMSAT_VAPID_SUBJECT") or "").strip() or f"mailto:giamsat@{web.rp_id}",
        timeout_seconds=_seconds(env, "GIAMSAT_PUSH_TIMEOUT_SECONDS", 10.0) or 10.0,
        ttl_seconds=_positive(env, "GIAMSAT_PUSH_TTL_SECONDS", 24 * 3600),
        max_failures=_positive(env, "GIAMSAT_PUSH_MAX_FAILURES", 5),
    )
    if not push.vapid_subject.startswith(("mailto:", "https://")):
        raise SettingsError(f"GIAMSAT_VAPID_SUBJECT must be a mailto: or https:// address (it is {push.vapid_subject!r})")
    inbox = InboxSettings(
        refresh_seconds=_seconds(env, "GIAMSAT_INBOX_REFRESH_SECONDS", 30.0) or 30.0,
        tick_seconds=_seconds(env, "GIAMSAT_INBOX_TICK_SECONDS", 0.2),
        stream_seconds=_seconds(env, "GIAMSAT_INBOX_STREAM_SECONDS", 300.0) or 300.0,
        max_per_kind=_positive(env, "GIAMSAT_INBOX_MAX_PER_KIND", 200),
    )
    return Settings(
        database=DatabaseSettings(database_url), web=web, data_dir=data_dir, secret_key=secret_key, sync=sync,
        quotas=quotas, gate=gate, seals=seals, outbox=outbox, push=push, inbox=inbox,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
