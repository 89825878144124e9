"""The box's settings file, /etc/hisab/hisab.toml: what provisioning decides, nothing secret.

Provisioning owns three keys (device_id, data_dir, model_path) and keeps every other key
a technician or the shop set by hand. Secrets never go here: the MQTT URL and the backup
key are credential files that systemd hands to the services.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from provisioning.identity import ProvisionError
from provisioning.target import CONFIG, CURRENT, DATA, Target, write_file

HEADER = "# Hisab box settings — written by hisab-provision, which keeps any key you add.\n" \
         "# Secrets are not here: see /etc/hisab/credentials (root only).\n"


def render(values: dict) -> str:
    lines = [HEADER]
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, str):
            text = json.dumps(value, ensure_ascii=False)
        else:
            raise ProvisionError(f"Setting {key} in {CONFIG} is a table or list; provisioning keeps only plain values.")
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def ensure_settings(target: Target, device_id: str, model_name: str, owner: tuple[int, int] | None) -> str:
    path = target.path(CONFIG)
    values: dict = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ProvisionError(f"{CONFIG} is not valid TOML ({exc}); fix or remove it and re-run.") from None
    ours = {"device_id": device_id, "data_dir": str(DATA), "model_path": str(CURRENT / "model" / model_name)}
    values = {**ours, **{k: v for k, v in values.items() if k not in ours}}
    # root:hisab 0640 — readable by the services, not by other users of the box.
    return write_file(path, render(values), 0o640, (0, owner[1]) if owner else None)


def settings_path(target: Target) -> Path:
    return target.path(CONFIG)
