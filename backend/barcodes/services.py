"""Barcode services: the deployment's keyring, and what the codes read from a photo say."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from backend.barcodes import decode, payload, reads
from backend.barcodes.payload import BarcodeError, Keyring, Payload
from backend.lib import image_work
from backend.settings import Settings


@lru_cache(maxsize=4)
def _keyring(secret_key: str, data_dir: Path) -> Keyring:
    return payload.load_keyring(secret_key, data_dir)


def keyring_for(settings: Settings) -> Keyring:
    """The keyring of this deployment, read once per process (restart after editing barcode-keys.txt)."""
    return _keyring(settings.secret_key, settings.data_dir)


_configured: Keyring | None = None


def configure(settings: Settings) -> None:
    """Set the keyring that command handlers verify barcodes with (they see no settings); create_app and the CLI
    call it, as they configure signing."""
    global _configured
    _configured = keyring_for(settings)


def configured_keyring() -> Keyring:
    if _configured is None:
        raise RuntimeError("barcodes.services.configure() was not called")
    return _configured


def interpret(keyring: Keyring, texts: list[str]) -> list[tuple[str, Payload | None, BarcodeError | None]]:
    """Each text with what it says, or the BarcodeError saying why it is refused (a number that is not a
    declaration number: `barcode_not_a_number`, reads.py, Art 35.2.c)."""
    found: list[tuple[str, Payload | None, BarcodeError | None]] = []
    for text in texts:
        try:
            found.append((text, reads.decode_read(keyring, text), None))
        except BarcodeError as error:
            found.append((text, None, error))
    return found


async def read_photo(keyring: Keyring, data: bytes, declared_type: str | None) -> list[tuple[str, Payload | None, BarcodeError | None]]:
    """The codes in a photo, each interpreted; raises DomainError for a refused photo and
    `barcode_unreadable` when no code could be read. The decoding runs on the photo pool (lib/image_work.py)."""
    texts = await image_work.run(decode.decode_photo, data, declared_type)
    if not texts:
        raise payload.unreadable()
    return interpret(keyring, texts)
