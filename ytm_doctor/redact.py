"""Secrets kept out of everything ytm-doctor writes or prints.

A secret setting (a KeySpec with secret=True: the webhook URL, whose path is its token) and the
password of any URL (`https://user:password@host/...`) must never reach a report, a journal, the
audit log, the share, a lock file or the terminal. Whatever records or prints the command line
or a setting goes through this module: the command line is redacted once, right after the
configuration is loaded, so every later consumer (reports, journals, audit, locks) only ever
sees the redacted one.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ytm_doctor.config import Config

MASK = "***"
HIDDEN = "(hidden)"
# scheme://userinfo@ inside any text; userinfo stops at the first '/', '@' or space.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
# A component of a secret (a URL's password) shorter than this is not searched for on its own:
# replacing every "ab" in a message would mangle it and hide nothing worth hiding.
_MIN_PART = 4


def redact_url(url: str) -> str:
    """The URL with its user and password (if any) replaced by ***: the rest is shown as is."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", url)


def mask_secret(value: object) -> str:
    """A secret as it may be shown: a URL by its scheme and host only (a webhook's path is its
    token, its userinfo a password), anything else not at all."""
    if not value:
        return ""
    text = str(value)
    try:
        parts = urllib.parse.urlsplit(text.strip())
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:  # not a URL one can read (a bad port, a bracket left open)
        return HIDDEN
    if not scheme or not host:
        return HIDDEN
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}/... {HIDDEN}"


def secret_parts(value: object) -> list[str]:
    """What of one secret value must never be shown: the value itself and, for a URL, its
    password and user, raw and percent-decoded (longest first: a value before its parts)."""
    text = str(value or "")
    found = {text, text.strip()}
    try:
        parts = urllib.parse.urlsplit(text.strip())
        user, password = parts.username, parts.password
    except ValueError:
        user, password = None, None
    for part in (password, user):
        if part and len(part) >= _MIN_PART:
            found.update({part, urllib.parse.unquote(part)})
    return sorted((s for s in found if s), key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret replaced by *** and every URL's userinfo too."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return redact_url(text)


def redact_argv(argv: Iterable[str], config: Config) -> list[str]:
    """The command line as it may be recorded or shown: `--set KEY=VALUE` of a secret key keeps
    its key only, the value after a secret's own flag is masked, the configuration's secret
    values are masked wherever they appear and every URL's userinfo is masked."""
    secrets = config.secret_values()
    keys, flags = config.secret_keys(), config.secret_flags()
    out: list[str] = []
    mask_next = False
    for token in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
            continue
        option, eq, _ = token.partition("=")
        if token in flags:
            mask_next = True
        elif eq and option in flags:
            token = f"{option}={MASK}"
        else:
            token = _redact_assignment(token, keys)
        out.append(redact_text(token, secrets))
    return out


def _redact_assignment(token: str, keys: set[str]) -> str:
    """KEY=VALUE (the word after --set) or --set=KEY=VALUE, for a secret KEY: KEY=***."""
    prefix = ""
    if token.startswith("--") and token.count("=") >= 2:
        option, _, token = token.partition("=")
        prefix = option + "="
    key, eq, _ = token.partition("=")
    if eq and key.strip() in keys:
        return f"{prefix}{key}={MASK}"
    return prefix + token
