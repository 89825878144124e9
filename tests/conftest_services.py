"""Fixtures for the relay and hub tests: a private Mosquitto (password file, pattern ACL, TLS
listener with a CA made here) and a private PostgreSQL cluster, each on free loopback ports,
started once per session and torn down at its end. Test modules import what they use:
``from conftest_services import *``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.config import parse
from appliance.queue.journal import Journal
from appliance.relay import Relay
from hub import db
from hub.devstack import Mosquitto, Postgres
from hub.ingest import IngestWorker
from hub.settings import HubSettings
from tests.seed import received_and_extracted

__all__ = ["services_dir", "tls_material", "mosquitto", "postgres", "hub_settings", "ingest", "make_box",
           "start_ingest", "running_relay", "Box", "wait_for"]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1/localhost; returns (ca, cert, key) paths."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("Hisab test CA")).issuer_name(_name("Hisab test CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="session")
def services_dir():
    path = Path(tempfile.mkdtemp(prefix="hisab-services-"))
    path.chmod(0o755)  # the postgres user must reach its cluster below
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_material(services_dir):
    directory = services_dir / "tls"
    directory.mkdir()
    return make_ca(directory)


@pytest.fixture(scope="session")
def mosquitto(services_dir, tls_material):
    broker = Mosquitto(services_dir / "mosquitto", tls=tls_material).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres(services_dir):
    server = Postgres(services_dir / "postgres").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hub_settings(mosquitto, postgres) -> HubSettings:
    db.migrate(postgres.url)
    return HubSettings(mqtt_url=mosquitto.url("hub"), database_url=postgres.url, conflict_total_threshold=1.0,
                       downlink_resend_s=5.0)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    stop = threading.Event()
    deadline = __import__("time").monotonic() + timeout
    while __import__("time").monotonic() < deadline:
        value = predicate()
        if value:
            return value
        stop.wait(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def start_ingest(settings: HubSettings, workers: int = 1, prefix: str | None = None):
    prefix = prefix or uuid.uuid4().hex[:6]
    stop = threading.Event()
    found = [IngestWorker(settings, f"{prefix}-{i}", downlink=(i == 0)) for i in range(workers)]
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in found]
    for t in threads:
        t.start()
    for w in found:
        wait_for(w.connected.is_set, 10, what="ingest worker connected")
    try:
        yield found
    finally:
        stop.set()
        for t in threads:
            t.join(10)


@pytest.fixture
def ingest(hub_settings):
    with start_ingest(hub_settings) as workers:
        yield workers


class Box:
    """A simulated box: its own journal and broker account (user = device id)."""

    def __init__(self, root: Path, broker: Mosquitto, tls: bool = False, ca: Path | None = None):
        self.device = "box-" + uuid.uuid4().hex[:8]
        broker.add_user(self.device, "pw-" + self.device)
        url = broker.url(self.device, tls=tls) + (f"?ca={ca}" if ca else "")
        self.settings = parse({"data_dir": root / self.device, "device_id": self.device, "mqtt_url": url,
                               "poll_seconds": 0.2})
        self.journal = Journal(self.settings.journal_path, self.device)

    def invoices(self, n: int, *, total: float = 1000.0) -> list[str]:
        """n invoices received and extracted, appended in one transaction (a fsync per event is slow)."""
        ids, items = [], []
        for i in range(n):
            inv = uuid.uuid4().hex
            ids.append(inv)
            items += received_and_extracted(inv, i, {"fields": {
                "supplier_name": "Rahim Traders", "supplier_bin": "000123456-0101", "invoice_number": f"INV-{i}",
                "total": total + i}, "confidence": {}, "needs_review": []})
        self.journal.append_many(items)
        return ids


@pytest.fixture
def make_box(tmp_path, mosquitto):
    boxes = []

    def factory(**kw) -> Box:
        box = Box(tmp_path, mosquitto, **kw)
        boxes.append(box)
        return box

    yield factory
    for box in boxes:
        box.journal.close()


@contextmanager
def running_relay(box: Box, **kw):
    kw.setdefault("ack_timeout_s", 3.0)
    kw.setdefault("backoff_s", (0.1, 1.0))
    kw.setdefault("linger_s", 0.1)
    relay = Relay(box.settings, box.journal, **kw)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        relay.wake.set()
        thread.join(15)
        assert not thread.is_alive(), "relay did not stop within 15s of its stop event"
