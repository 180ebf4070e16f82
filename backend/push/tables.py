from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.auth.tables import PasskeyCredential
from backend.officers.tables import Officer


class PushSubscription(Table, tablename="push_subscription"):
    """One device's permission to be notified (its browser's PushSubscription). A device setting, like a passkey:
    not a command in the journal (backend/push/controllers.py)."""

    officer = ForeignKey(references=Officer, null=False)
    # The device as /account/devices lists it: the passkey the subscribing session signed in with (None for a demo
    # sign-in). A revoked passkey's subscriptions are no longer sent to (services.notify_new_items).
    passkey = ForeignKey(references=PasskeyCredential, null=True)
    endpoint = Varchar(length=2048, unique=True, index=True)  # the push service's URL for this device
    p256dh = Varchar(length=128)  # base64url: the browser's P-256 public key (the payload is encrypted to it)
    auth = Varchar(length=64)  # base64url: the browser's 16-byte authentication secret
    language = Varchar(length=8, default="vi")  # the officer's language when subscribing: the notification's words
    created_at = Timestamptz(default=TimestamptzNow())
    last_success_at = Timestamptz(null=True, default=None)
    failures = Integer(default=0)  # failed pushes since the last one delivered
