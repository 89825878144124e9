"""Registering a box with the hub: provisioning's own client (provisioning/hubapi.py) against the
real hub web app over HTTP, the real Mosquitto (password file + pattern ACL, reloaded by SIGHUP)
and the real PostgreSQL. The credentials the hub hands out connect, and reach the box's own
topics only; a second registration is idempotent and hands out no password unless asked to rotate.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from werkzeug.serving import make_server

from appliance.relay import Broker, topic
from hub import db, users
from hub.web import create_app
from provisioning import hubapi
from provisioning.identity import ProvisionError, ensure_identity
from provisioning.target import Target
from tests.conftest_services import wait_for


@pytest.fixture(scope="module")
def hub(mosquitto, hub_settings):
    """The hub's dashboard/API on a free port, registering into the test broker's password file."""
    settings = hub_settings.model_copy(update={"broker_passwd_file": mosquitto.passwd_file,
                                               "broker_pid_file": mosquitto.pid_file})
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tokens = {}
    with db.connect(settings.database_url, autocommit=True) as conn:
        for name, role in (("tech-op", "operator"), ("chief", "admin")):
            users.add_user(conn, name, role, "correct horse battery")
            tokens[role] = users.create_token(conn, name)
    yield f"http://127.0.0.1:{server.server_port}", tokens, settings
    server.shutdown()


def identity(tmp_path, device: str):
    ident, _ = ensure_identity(Target(tmp_path / device), device)
    return ident


def post(url: str, token: str | None, body: dict) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url + "/api/v1/devices", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def connect(url: str) -> tuple[mqtt.Client, object]:
    """Connect with the credentials in ``url``; returns (client, CONNACK reason code)."""
    broker = Broker.from_url(url)
    answered = threading.Event()
    result = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    client.username_pw_set(broker.username, broker.password)

    def on_connect(c, u, flags, reason_code, props):
        result.setdefault("rc", reason_code)
        answered.set()

    client.on_connect = on_connect
    client.connect(broker.host, broker.port)
    client.loop_start()
    answered.wait(10)
    return client, result.get("rc")


def close(client: mqtt.Client) -> None:
    client.loop_stop()
    client.disconnect()


def accepted(url: str) -> mqtt.Client:
    """The broker re-reads its password file on SIGHUP, a moment after the hub answered: retry briefly."""
    def attempt():
        client, rc = connect(url)
        if rc is not None and not rc.is_failure:
            return client
        close(client)
        return None
    return wait_for(attempt, 10, 0.2, what="the broker to accept the new account")


def refused(url: str) -> bool:
    client, rc = connect(url)
    close(client)
    return rc is not None and rc.is_failure


def test_provisioning_registers_a_box_whose_credentials_reach_only_its_own_topics(hub, mosquitto, tmp_path):
    url, tokens, settings = hub
    device, other = f"shop-{uuid.uuid4().hex[:6]}", f"shop-{uuid.uuid4().hex[:6]}"
    ident = identity(tmp_path, device)
    mqtt_url = hubapi.register(url, tokens["operator"], ident)
    broker = Broker.from_url(mqtt_url)
    assert (broker.username, broker.host, broker.port) == (device, "127.0.0.1", mosquitto.port)
    assert broker.password and broker.password not in mosquitto.passwd_file.read_text()  # only its hash is kept
    with db.connect(settings.database_url) as conn:
        row = conn.execute("SELECT public_key, key_comment, registered_by FROM devices WHERE device_id=%s",
                           (device,)).fetchone()
    assert row["public_key"] == " ".join(ident.public_key.split()[:2]) and row["registered_by"] == "tech-op"
    assert row["key_comment"] == f"hisab-{device}"

    box = accepted(mqtt_url)
    hub_client = accepted(mosquitto.url("hub"))
    acks, heard = {}, []
    box.on_publish = lambda c, u, mid, rc, props: acks.__setitem__(mid, rc)
    box.on_message = lambda c, u, m: heard.append(m.topic)
    subscribed = threading.Event()
    box.on_subscribe = lambda *a: subscribed.set()
    try:
        box.subscribe([(topic(device, "down", "#"), 1), (topic(other, "down", "#"), 1)])
        assert subscribed.wait(5)
        own = box.publish(topic(device, "up", "telemetry"), b"{}", qos=1)
        forged = box.publish(topic(other, "up", "events"), b"x", qos=1)
        backwards = box.publish(topic(device, "down", "ack"), b'{"acked": 99}', qos=1)  # only the hub writes down/
        wait_for(lambda: {own.mid, forged.mid, backwards.mid} <= set(acks), 10, what="three PUBACKs")
        assert not acks[own.mid].is_failure
        assert acks[forged.mid].getName() == "Not authorized"
        assert acks[backwards.mid].getName() == "Not authorized"
        hub_client.publish(topic(other, "down", "ack"), b'{"acked": 1}', qos=1).wait_for_publish(5)
        hub_client.publish(topic(device, "down", "ack"), b'{"acked": 1}', qos=1).wait_for_publish(5)
        wait_for(lambda: topic(device, "down", "ack") in heard, 10, what="the box hears its own downlink")
        threading.Event().wait(0.3)
        assert topic(other, "down", "ack") not in heard  # another box's downlink never reaches it
    finally:
        close(box)
        close(hub_client)


def test_registering_again_is_idempotent_and_a_new_password_needs_rotate(hub, mosquitto, tmp_path):
    url, tokens, settings = hub
    device = f"shop-{uuid.uuid4().hex[:6]}"
    ident = identity(tmp_path, device)
    body = {"device_id": device, "public_key": ident.public_key}
    status, first = post(url, tokens["operator"], body)
    assert status == 201 and first["mqtt_password"] and first["rotated"] is False
    first_url = hubapi.mqtt_url_with_credentials(first["mqtt_url"], first["mqtt_username"], first["mqtt_password"])
    close(accepted(first_url))
    line = [x for x in mosquitto.passwd_file.read_text().splitlines() if x.startswith(device + ":")]

    # again, same key: 200, nothing re-issued in clear, nothing changed at the broker
    status, again = post(url, tokens["operator"], body)
    assert status == 200 and "mqtt_password" not in again and "rotate" in again["message"]
    assert again["mqtt_username"] == device and again["registered_at"] == first["registered_at"]
    assert [x for x in mosquitto.passwd_file.read_text().splitlines() if x.startswith(device + ":")] == line
    with pytest.raises(ProvisionError, match="--reregister"):
        hubapi.register(url, tokens["operator"], ident)

    # rotate (what `hisab-provision provision --reregister` sends): a new password, the old one refused
    rotated_url = hubapi.register(url, tokens["operator"], ident, rotate=True)
    assert Broker.from_url(rotated_url).password != first["mqtt_password"]
    close(accepted(rotated_url))
    wait_for(lambda: refused(first_url), 10, 0.2, what="the old password to be refused")

    # another key under the same id: refused for an operator, even with rotate; an admin may re-key
    stranger = identity(tmp_path / "other", device)
    with pytest.raises(ProvisionError, match="another key"):
        hubapi.register(url, tokens["operator"], stranger, rotate=True)
    status, rekeyed = post(url, tokens["admin"], {"device_id": device, "public_key": stranger.public_key,
                                                  "rotate": True})
    assert status == 200 and rekeyed["rotated"] is True and rekeyed["mqtt_password"]

    # refusals a person can act on
    assert post(url, None, body)[0] == 401
    assert post(url, "not-a-token", body)[0] == 401
    status, answer = post(url, tokens["admin"], {"device_id": "hub", "public_key": ident.public_key})
    assert status == 400 and answer["code"] == "reserved_device_id"
    status, answer = post(url, tokens["admin"], {"device_id": "x/#", "public_key": ident.public_key})
    assert status == 400 and answer["code"] == "bad_device_id"
    status, answer = post(url, tokens["admin"], {"device_id": f"{device}-2", "public_key": "ssh-rsa AAAA nope"})
    assert status == 400 and answer["code"] == "bad_public_key"
    listed = json.loads(urllib.request.urlopen(urllib.request.Request(
        url + "/api/v1/devices", headers={"Authorization": f"Bearer {tokens['operator']}"}), timeout=10).read())
    [mine] = [d for d in listed if d["device_id"] == device]
    assert mine["public_key"] == " ".join(stranger.public_key.split()[:2]) and mine["registered_at"]
