"""Private Mosquitto and PostgreSQL servers for `make hub` and the tests.

Owns: generating a broker config (password file, pattern ACL, optional TLS listener) and a
throw-away PostgreSQL cluster, starting them on loopback ports and stopping them. Never used
in production, where the broker is a managed Mosquitto/EMQX/VerneMQ and PostgreSQL a real
server; never touches anything outside the directory it is given.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HUB_USER = "hub"

ACL = """\
# the hub reads and writes every box's topics
user {hub}
topic readwrite hisab/#
# and the broker's own figures (connected clients, load) for the load test and monitoring
topic read $SYS/#

# a box may only publish under its own up/ and read its own down/ topics
pattern write hisab/v1/%u/up/#
pattern read hisab/v1/%u/down/#
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_child(proc: subprocess.Popen, kill: bool = False) -> None:
    """Stop a child we started: SIGTERM (SIGKILL if ``kill``), then SIGKILL if it is still there after 10 s."""
    if proc.poll() is None:
        proc.kill() if kill else proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _wait_port(port: int, proc: subprocess.Popen | None, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s: {log.read_text() if log.exists() else ''}")


def _raise_open_files() -> None:
    # one descriptor per connected box: lift the soft limit to the hard one (systemd: LimitNOFILE=)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def add_accounts(passwd_file: Path, accounts: dict[str, str]) -> None:
    """Append hashed accounts to a Mosquitto password file (``mosquitto_passwd -U`` on a private plain-text copy)."""
    if not accounts:
        return
    plain = passwd_file.with_name(passwd_file.name + ".new")
    plain.touch(mode=0o600)
    plain.write_text("".join(f"{name}:{password}\n" for name, password in accounts.items()))
    try:
        subprocess.run(["mosquitto_passwd", "-U", str(plain)], check=True, capture_output=True)
        keep = [line for line in (passwd_file.read_text().splitlines() if passwd_file.exists() else [])
                if line.split(":", 1)[0] not in accounts]
        passwd_file.write_text("".join(f"{line}\n" for line in keep) + plain.read_text())
    finally:
        plain.unlink(missing_ok=True)


@dataclass
class Mosquitto:
    """A broker with per-device credentials and the pattern ACL, on 127.0.0.1:port."""

    root: Path
    port: int = 0
    tls_port: int | None = None
    tls: tuple[Path, Path, Path] | None = None  # (ca, cert, key)
    passwords: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    @property
    def passwd_file(self) -> Path:
        return self.root / "passwd"

    @property
    def pid_file(self) -> Path:
        """Written at start: what the hub's registration (HUB_BROKER_PID_FILE) sends SIGHUP to."""
        return self.root / "mosquitto.pid"

    def add_user(self, name: str, password: str) -> None:
        """Create or change a broker account (a box's is its device id); reloads a running broker."""
        create = [] if self.passwd_file.exists() else ["-c"]
        subprocess.run(["mosquitto_passwd", *create, "-b", str(self.passwd_file), name, password],
                       check=True, capture_output=True)
        self.passwords[name] = password
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(1)  # SIGHUP re-reads password and ACL files

    def add_users(self, accounts: dict[str, str]) -> None:
        """Create many accounts with one hashing run and one reload (a thousand boxes for the load test)."""
        add_accounts(self.passwd_file, accounts)
        self.passwords.update(accounts)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(1)

    def url(self, user: str, tls: bool = False) -> str:
        scheme, port = ("mqtts", self.tls_port) if tls else ("mqtt", self.port)
        return f"{scheme}://{user}:{self.passwords[user]}@127.0.0.1:{port}"

    def write_config(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "store").mkdir(exist_ok=True)
        if not self.port:
            self.port = free_port()
        (self.root / "acl").write_text(ACL.format(hub=HUB_USER))
        lines = [
            "user root" if os.geteuid() == 0 else "",
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {self.passwd_file}",
            f"acl_file {self.root / 'acl'}",
            "persistence true",
            f"persistence_location {self.root / 'store'}/",
            "autosave_interval 1",
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            "max_connections -1",  # bounded by the open-file limit, raised at start
            "sys_interval 1",  # $SYS/broker/clients/connected every second
            f"log_dest file {self.root / 'mosquitto.log'}",
            "log_type error", "log_type warning", "log_type notice",
            f"listener {self.port} 127.0.0.1",
        ]
        if self.tls:
            if not self.tls_port:
                self.tls_port = free_port()
            ca, cert, key = self.tls
            lines += [f"listener {self.tls_port} 127.0.0.1", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
        conf = self.root / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self) -> Mosquitto:
        conf = self.write_config()
        if not self.passwd_file.exists():
            self.add_user(HUB_USER, "hub-secret")
        log = self.root / "mosquitto.stdout"
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=log.open("ab"), stderr=subprocess.STDOUT,
                                     preexec_fn=_raise_open_files)
        self.pid_file.write_text(f"{self.proc.pid}\n")  # mosquitto writes its own only when it daemonises
        _wait_port(self.port, self.proc, self.root / "mosquitto.log")
        if self.tls_port:
            _wait_port(self.tls_port, self.proc, self.root / "mosquitto.log")
        return self

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        stop_child(self.proc, kill)
        self.proc = None
        self.pid_file.unlink(missing_ok=True)  # never signal a pid that may be reused


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return str(versions[-1] / name)


@dataclass
class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1:port with trust auth and a `hub` database."""

    root: Path
    port: int = 0
    database: str = "hub"

    @property
    def data(self) -> Path:
        return self.root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def start(self, fast: bool = True) -> Postgres:
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        if not self.port:
            self.port = free_port()
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(_as_postgres([pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                         "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        if fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.root / "postgres.log"
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", opts, "-w", "start"]),
                       check=True, capture_output=True)
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (self.database,)).fetchone():
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)
