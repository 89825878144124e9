"""Registering a box with the hub: the one HTTP call provisioning makes.

The contract (the hub implements it; keep both sides to it)::

    POST <hub>/api/v1/devices
    Authorization: Bearer <operator token>          (hisab-hub token create NAME)
    {"device_id": "...", "public_key": "ssh-ed25519 AAAA... hisab-<id>", "rotate": false}

    201 (new) {"mqtt_username": "...", "mqtt_password": "...", "mqtt_url": "mqtts://hub.example:8883", ...}
    200 (already known with this key) the same WITHOUT "mqtt_password": the hub keeps only the
        broker's hash and never hands a password out twice; with "rotate": true it issues a new
        one (the old one stops working) and answers with "mqtt_password"
    409 the device id is registered with another key

The hub creates the broker account (user = device id) whose pattern ACL limits it to
``hisab/v1/<device_id>/up/#`` (write) and ``.../down/#`` (read) — hub/registration.py.
The answer holds a password: it is turned into the relay's credential file and never
printed, logged or put in an exception message — nor is the operator token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlparse, urlunparse

from provisioning.identity import Identity, ProvisionError

TIMEOUT_S = 20


def register(hub: str, token: str, identity: Identity, rotate: bool = False) -> str:
    """Register ``identity`` with the hub; return the relay's full MQTT URL (a secret).

    ``rotate`` asks for a new password for a box the hub already knows (``--reregister``).
    """
    url = hub.rstrip("/") + "/api/v1/devices"
    body = json.dumps({"device_id": identity.device_id, "public_key": identity.public_key,
                       "rotate": rotate}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ProvisionError(_refusal(url, exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProvisionError(f"Cannot reach the hub at {url} ({reason}). Check the box's network and --hub; "
                             "or provision without --hub and register later.") from None
    except ValueError:
        raise ProvisionError(f"The hub at {url} did not answer with JSON: is --hub the hub's address?") from None
    if isinstance(answer, dict) and "mqtt_url" in answer and answer.get("mqtt_password") is None:
        raise ProvisionError(f"The hub at {url} already has '{identity.device_id}' registered with this box's key and "
                             "does not hand its MQTT password out twice. Re-run with --reregister to get a new one "
                             "(the old one stops working).")
    try:
        return mqtt_url_with_credentials(answer["mqtt_url"], answer["mqtt_username"], answer["mqtt_password"])
    except (KeyError, TypeError):
        raise ProvisionError(f"The hub at {url} answered without mqtt_url/mqtt_username/mqtt_password: "
                             "it may be an older hub version.") from None


def _refusal(url: str, exc: urllib.error.HTTPError) -> str:
    try:
        said = json.loads(exc.read()).get("error", "")
    except (ValueError, AttributeError, OSError):
        said = ""
    hint = {401: "the operator token was refused: create one with `hisab-hub token create NAME`",
            403: "this operator may not register boxes (needs role operator or admin)",
            404: "no registration API there: is --hub the hub's dashboard address?",
            409: "the hub already has this device id with another key"}.get(exc.code, "")
    return f"The hub refused to register the box (HTTP {exc.code} from {url}): {said or hint}".rstrip(": ")


def mqtt_url_with_credentials(broker: str, username: str, password: str) -> str:
    parsed = urlparse(broker)
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ProvisionError(f"The hub gave a broker address that is not mqtt[s]://host:port ({parsed.scheme}://…).")
    host = parsed.hostname if ":" not in parsed.hostname else f"[{parsed.hostname}]"
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}"
    if parsed.port:
        netloc += f":{parsed.port}"
    return urlunparse(parsed._replace(netloc=netloc))
