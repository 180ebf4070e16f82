"""Where the app may send a browser after a form: only a path of this site.

An open redirect (a sign-in page that forwards to any address it is given) helps phishing: a link to the real
sign-in page would land the officer on a copy. Browsers are lenient with what they treat as another host:
`//evil`, `/\\evil` (a backslash counts as a slash) and `/<TAB>/evil` (tabs and newlines are dropped from URLs)
all leave the site. So a target is kept only when it is a plain path: one leading slash, no backslash, no
control character or space, and no scheme or host once parsed.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: object, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default`."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(character) <= 0x20 or ord(character) == 0x7F for character in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
