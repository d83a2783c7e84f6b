"""Where the top-level folders (templates/, fonts/, migrations/) are.

In a checkout they sit beside the ``billpay`` package; a wheel carries them
inside it as ``billpay/_resources/`` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    bundled = PACKAGE_DIR / "_resources" / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / name
