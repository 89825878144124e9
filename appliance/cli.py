"""The `hisab` command: runs the box's processes and its maintenance jobs.

Thin on purpose: each command parses arguments, opens what it needs and calls into the
modules that own the work. Errors a person can fix are one-sentence ClickExceptions.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click

from appliance import __version__
from appliance.config import Settings, SettingsError, load

log = logging.getLogger("hisab")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="where the box keeps its data")
@click.option("--port", type=int, help="port of the web UI")
@click.version_option(__version__)
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, port: int | None) -> None:
    """Hisab: the in-shop invoice box."""
    from appliance.lifecycle import setup_logging

    setup_logging(os.environ.get("HISAB_LOG_LEVEL", "INFO"))
    ctx.ensure_object(dict)
    ctx.obj["overrides"] = {"data_dir": data_dir, "port": port}
    try:
        ctx.obj["settings"] = load(**ctx.obj["overrides"])
        ctx.obj["settings_error"] = None
    except SettingsError as exc:
        ctx.obj["settings"] = None
        ctx.obj["settings_error"] = exc
        if ctx.invoked_subcommand not in ("web", "worker", "relay", "run"):
            raise click.ClickException(f"{exc} — fix the settings file or HISAB_* variable.") from None


def _data_options(func):
    """Let `--data-dir/--port` also follow the subcommand, as the README shows them."""
    func = click.option("--port", "sub_port", type=int, help="port of the web UI")(func)
    return click.option("--data-dir", "sub_data_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="where the box keeps its data")(func)


def _resolve(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> Settings:
    overrides = dict(ctx.obj["overrides"])
    if sub_data_dir:
        overrides["data_dir"] = sub_data_dir
    if sub_port is not None:
        overrides["port"] = sub_port
    ctx.obj["overrides"] = overrides
    try:
        settings = load(**overrides)
    except SettingsError as exc:
        ctx.obj["settings_error"] = exc
        settings = None
    ctx.obj["settings"] = settings
    return settings


def _safe_mode(ctx: click.Context, process: str, sentence: str | None = None) -> None:
    """A broken settings file or journal: say what, and stay up (no crash loop on a screenless box)."""
    from appliance.safemode import serve, settings_problem

    error = ctx.obj["settings_error"]
    key = error.key if error and sentence is None else None
    sentence = sentence or settings_problem(error)
    log.error("process=%s safe_mode problem=%s", process, sentence)
    port = ctx.obj["settings"].port if ctx.obj.get("settings") else ctx.obj["overrides"].get("port")
    serve(process, sentence, key=key, port=port)


def _guarded(ctx: click.Context, process: str, start) -> None:
    """Run a box process; a damaged journal puts it in safe mode instead of a restart loop."""
    from appliance.health import JournalDamaged

    try:
        start()
    except JournalDamaged as exc:
        _safe_mode(ctx, process, str(exc))


@main.command()
@_data_options
@click.pass_context
def run(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Run every box process (web, worker, relay) in the foreground."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "run")
    from appliance.box import open_box
    from appliance.health import JournalDamaged
    from appliance.users import ensure_first_owner

    try:
        box = open_box(settings)
    except JournalDamaged as exc:
        return _safe_mode(ctx, "run", str(exc))
    password = ensure_first_owner(box.journal, box.settings.data_dir)
    box.close()
    url = f"http://{'localhost' if settings.host in ('0.0.0.0', '::') else settings.host}:{settings.port}/"
    click.echo(f"Hisab {__version__} — data in {settings.data_dir.resolve()}")
    click.echo(f"Open {url} in a browser on this machine or the shop LAN.")
    if password:
        click.echo(f"First login: user 'owner', password '{password}' "
                   f"(also in {settings.data_dir / 'initial-password.txt'}; change it under Users).")
    else:
        click.echo("Log in with your user name and password.")
    if not settings.mqtt_url:
        click.echo("No hub configured (HISAB_MQTT_URL): the box works offline.")
    env = {**os.environ, "HISAB_DATA_DIR": str(settings.data_dir), "HISAB_PORT": str(settings.port),
           "HISAB_DEVICE_ID": box.settings.device_id}
    _supervise_children(["web", "worker", "relay"], env)


def _supervise_children(names: list[str], env: dict[str, str]) -> None:
    """Foreground runner for a laptop; on the box each process is its own systemd unit."""
    stop = threading.Event()
    children: dict[str, subprocess.Popen] = {}

    def start(name: str) -> None:
        children[name] = subprocess.Popen([sys.executable, "-m", "appliance", name], env=env)

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for name in names:
        start(name)
    while not stop.wait(1.0):
        for name, child in list(children.items()):
            if child.poll() is not None:
                log.warning("process=%s exited code=%s; restarting", name, child.returncode)
                start(name)
    for child in children.values():
        child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


@main.command()
@_data_options
@click.pass_context
def web(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Serve the UI and JSON API (one gunicorn worker with threads)."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "web")
    from appliance.web.server import main as serve_web

    _guarded(ctx, "web", lambda: serve_web(settings))


@main.command()
@_data_options
@click.option("--once", is_flag=True, help="drain the backlog and exit")
@click.pass_context
def worker(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None, once: bool) -> None:
    """Extract received invoices."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "worker")
    from appliance.worker import main as run_worker

    _guarded(ctx, "worker", lambda: run_worker(settings, once=once))


@main.command()
@_data_options
@click.pass_context
def relay(ctx: click.Context, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Sync the journal with the hub over MQTT (waits while no hub is configured)."""
    settings = _resolve(ctx, sub_data_dir, sub_port)
    if settings is None:
        return _safe_mode(ctx, "relay")
    from appliance.relay import main as run_relay

    _guarded(ctx, "relay", lambda: run_relay(settings))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="JSON Lines per invoice.schema.json")
@click.option("--no-llm", is_flag=True, help="rules only, without the small language model")
@click.pass_context
def extract(ctx: click.Context, files: tuple[Path, ...], as_json: bool, no_llm: bool) -> None:
    """Read invoice FILES and print their fields."""
    from tqdm import tqdm

    from appliance.ocr import ExtractOptions, Extractor

    settings = _settings(ctx)
    extractor = Extractor(ExtractOptions(use_llm=settings.use_llm and not no_llm, model_path=settings.model_path,
                                         tesseract_timeout_s=settings.tesseract_timeout_s,
                                         threads=settings.worker_threads))
    failures = 0
    for path in tqdm(files, desc="extracting", unit="file", disable=len(files) < 2, file=sys.stderr):
        try:
            data = path.read_bytes()
        except OSError as exc:
            data = b""
            click.echo(f"{path}: cannot read ({exc.strerror})", err=True)
        result = extractor.extract(data, str(path))
        failures += bool(result.get("error"))
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            _print_result(result)
    if failures == len(files):
        sys.exit(2)


def _print_result(result: dict) -> None:
    click.echo(f"== {result['source']}")
    if result.get("error"):
        click.echo(f"  error: {result['error']}")
        return
    for key in ("supplier_name", "supplier_bin", "invoice_number", "invoice_date", "subtotal", "discount",
                "vat_rate", "vat_amount", "total"):
        conf = result.get("confidence", {}).get(key)
        click.echo(f"  {key:15} {result.get(key)!s:40} {'' if conf is None else f'{conf:.2f}'}")
    click.echo(f"  line items: {len(result.get('line_items') or [])}   needs review: "
               f"{', '.join(result.get('needs_review') or []) or 'nothing'}")


@main.group()
def user() -> None:
    """Manage the people who log in."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["owner", "staff", "technician"]), required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with a role."""
    from appliance.box import open_box
    from appliance.queue.journal import Rejected
    from appliance.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    box = open_box(_settings(ctx))
    try:
        add_user(box.journal, name, role, password)
    except Rejected as exc:
        raise click.ClickException(exc.message) from None
    finally:
        box.close()
    click.echo(f"User '{name}' added as {role}.", err=True)


@main.group()
def token() -> None:
    """Manage bearer tokens for the JSON API."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="", help="what the token is for")
@click.pass_context
def token_create(ctx: click.Context, name: str, label: str) -> None:
    """Create a token for user NAME and print it alone on stdout."""
    from appliance.box import open_box
    from appliance.queue.journal import Rejected
    from appliance.users import create_token

    box = open_box(_settings(ctx))
    try:
        click.echo(create_token(box.journal, name, label))
    except Rejected as exc:
        raise click.ClickException(exc.message) from None
    finally:
        box.close()


@main.command()
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Rebuild the read model from the journal (stop `hisab web` first)."""
    from tqdm import tqdm

    from appliance.box import open_box
    from appliance.readmodel import ReadModel

    settings = _settings(ctx)
    box = open_box(settings)
    path = settings.readmodel_path
    for stale in (path, Path(str(path) + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        model = ReadModel(path, box.journal)
    except Exception as exc:  # duckdb raises IOException when the web process holds the file
        raise click.ClickException(f"Cannot open the read model ({exc}); stop `hisab web` first.") from None
    with tqdm(total=box.journal.last_seq(), unit="event", desc="replaying", file=sys.stderr) as bar:
        count = model.catch_up(progress=bar.update)
    model.close()
    box.close()
    click.echo(f"Read model rebuilt from {count} events.", err=True)


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Back up the journal, then bring journal and read model to this version's schema."""
    from appliance.backup import snapshot_journal
    from appliance.box import open_box

    settings = _settings(ctx)
    if settings.journal_path.exists():
        copy = settings.data_dir / "backups" / "pre-migrate.sqlite3"
        copy.parent.mkdir(parents=True, exist_ok=True)
        snapshot_journal(settings.journal_path, copy)
    box = open_box(settings)
    box.journal.migrate()
    box.close()
    click.echo("Journal is up to date.", err=True)


@main.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the settings file and HISAB_* variables."""
    settings = _settings(ctx)
    shown = settings.model_dump(mode="json", exclude={"backup_key", "erp_webhook_secret"})
    if shown.get("mqtt_url"):
        shown["mqtt_url"] = re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", shown["mqtt_url"])
    click.echo(json.dumps(shown, indent=2))


# -- life on the box: backup, restore, status (appliance.backup, appliance.health, appliance.storage) --


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print the result as one JSON object")
@click.pass_context
def backup(ctx: click.Context, as_json: bool) -> None:
    """Write an encrypted backup (journal + originals), keep the newest N, copy to the backup target."""
    from tqdm import tqdm

    from appliance import backup as backups

    settings = _settings(ctx)
    with tqdm(total=backups.estimate_bytes(settings), unit="B", unit_scale=True, desc="backing up",
              file=sys.stderr, disable=as_json) as bar:
        try:
            result, warning = backups.create(settings, progress=bar.update)
        except (backups.BackupError, OSError) as exc:
            raise click.ClickException(f"Backup failed: {exc}") from None
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps({"file": str(result.path), "bytes": result.bytes, "files": result.files,
                               "seconds": round(result.seconds, 2), "removed": [str(p) for p in result.removed],
                               "copied_to": result.copied_to, "copy_error": result.copy_error}))
    else:
        click.echo(f"Backup written: {result.path} ({result.bytes / 1e6:.1f} MB, {result.files} files, "
                   f"{result.seconds:.1f} s).", err=True)
        if result.copy_error:
            click.echo(f"Not copied off the box: {result.copy_error}. The next backup retries.", err=True)
    if result.copy_error:
        sys.exit(3)  # the backup exists locally; exit 3 tells the timer the copy is still owed


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--key-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="file holding the backup key (default: the backup_key setting)")
@click.pass_context
def restore(ctx: click.Context, file: Path, key_file: Path | None) -> None:
    """Restore backup FILE onto an empty data directory (the read model is rebuilt on start)."""
    from tqdm import tqdm

    from appliance import backup as backups
    from appliance.box import identify
    from appliance.queue.journal import Journal

    settings = _settings(ctx)
    key = key_file.read_text().strip() if key_file else settings.backup_key
    if not key:
        raise click.ClickException("No backup key: set HISAB_BACKUP_KEY (the box's provisioning key) "
                                   "or pass --key-file.")
    with tqdm(unit="B", unit_scale=True, desc="restoring", file=sys.stderr) as bar:
        try:
            result = backups.restore(file, settings.data_dir, key.encode(), progress=bar.update)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from None
    # number what comes next past anything the hub stored before this box lost its data
    settings = identify(settings)
    journal = Journal(settings.journal_path, settings.device_id)
    try:
        journal.mark_restored({"backup": file.name, "last_seq": result.last_seq})
    finally:
        journal.close()
    click.echo(f"Restored {result.files} files ({result.bytes / 1e6:.1f} MB, journal up to seq "
               f"{result.last_seq}) into {result.data_dir} in {result.seconds:.1f} s. "
               "Start the box: the read model is rebuilt from the journal.", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="the full health snapshot as JSON")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the box's health: disk, memory, temperature, journal, backlog, last backup, processes."""
    import time

    from appliance import health
    from appliance.box import open_box

    box = open_box(_settings(ctx))
    try:
        snap = health.snapshot(box.settings, box.journal)
    finally:
        box.close()
    if as_json:
        click.echo(json.dumps(snap, indent=2))
        return
    disk, journal, sync, last = snap["disk"], snap["journal"], snap["sync"], snap["backup"]
    click.echo(f"Box {snap['device_id']} (Hisab {snap['version']}): {'OK' if snap['ok'] else 'NEEDS ATTENTION'}")
    click.echo(f"  disk       {disk['message']}")
    click.echo(f"  memory     {snap['memory']['percent_used']:.0f}% used")
    temp = snap["cpu"]["temperature_c"]
    click.echo(f"  cpu        {'no sensor' if temp is None else f'{temp:.0f} °C'}, load {snap['cpu']['load_1m']}")
    click.echo(f"  journal    {journal['size_bytes'] / 1e6:.1f} MB, seq {journal['last_seq']}, "
               f"check: {journal['quick_check']}")
    click.echo(f"  sync       {'no hub configured' if not sync['hub_configured'] else str(sync['backlog']) + ' events not yet at the hub'}")
    click.echo(f"  backup     {'never' if last['last_at'] is None else time.strftime('%Y-%m-%d %H:%M', time.localtime(last['last_at']))}"
               f"{'' if not last.get('copy_error') else ' (not copied: ' + last['copy_error'] + ')'}")
    for name, proc in snap["processes"].items():
        click.echo(f"  {name:10} {proc['state']}, last beat {proc['age_s']:.0f} s ago")


@main.command()
@click.option("--clean", is_flag=True, help="run the storage guard now: alert, and above the warning level replace synced, approved originals by thumbnails")
@click.pass_context
def storage(ctx: click.Context, clean: bool) -> None:
    """Show disk use per part of the data dir; with --clean, free space the safe way."""
    from appliance import storage as guard
    from appliance.box import open_box

    box = open_box(_settings(ctx))
    try:
        state = guard.guard(box.settings, box.journal, box.blobs) if clean else \
            guard.check(box.settings.data_dir, box.settings)
        for part, size in guard.used_by(box.settings).items():
            click.echo(f"  {part:11} {size / 1e6:9.1f} MB")
    finally:
        box.close()
    click.echo(state.message)
    if state.level == guard.READONLY:
        sys.exit(4)


@main.command("export")
@click.argument("target", type=click.Choice(["tally", "quickbooks", "csv", "json", "excel", "mushak", "webhook"]))
@click.option("--month", required=True, help="YYYY-MM: the month of the invoices' dates")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write")
@click.option("--again", is_flag=True, help="repeat: include invoices already exported to TARGET")
@click.option("--format", "kind", type=click.Choice(["iif", "csv", "xlsx"]),
              help="quickbooks: iif (Desktop) or csv (Online); mushak: csv or xlsx (default: from --out)")
@click.option("--push", is_flag=True, help="tally: also send the vouchers to Tally's HTTP port (tally_url)")
@click.option("--language", type=click.Choice(["en", "bn"]), default="en", help="mushak: column headings")
@click.option("--json", "as_json", is_flag=True, help="print the outcome as JSON")
@_data_options
@click.pass_context
def export_command(ctx: click.Context, target: str, month: str, out: Path | None, again: bool, kind: str | None,
                   push: bool, language: str, as_json: bool, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Export the approved invoices of a month not yet exported to TARGET, then mark them exported.

    Exit status: 0 done (also when nothing was left to export), 1 nothing exported (the
    message says why), 3 exported but Tally refused some pushed vouchers (see each invoice's history).
    """
    from appliance.box import open_box
    from appliance.exports.money import ExportError
    from appliance.exports.targets import ExportProblem, export
    from appliance.queue.journal import Rejected

    settings = _resolve(ctx, sub_data_dir, sub_port)
    if out is None and target != "webhook" and not push:
        raise click.ClickException(f"Say where to write the {target} export with --out FILE.")
    box = open_box(settings)
    try:
        outcome = export(box.journal, box.settings, target, month, out, again=again, kind=kind, push=push,
                         actor="cli", language=language)
    except (ExportProblem, ExportError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except Rejected as exc:
        raise click.ClickException(exc.message) from None
    finally:
        box.close()
    run = outcome.run
    if as_json:
        click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
    if run.count == 0:
        hint = "" if again else " (use --again to repeat an earlier export)"
        click.echo(f"Nothing to export to {target} for {month}: no approved invoice is left{hint}.", err=True)
        return
    where = f" to {run.path}" if run.path else ""
    click.echo(f"Exported {run.count} invoice(s) of {month} to {target}{where}.", err=True)
    if outcome.webhook is not None and outcome.webhook.failed:
        click.echo("Webhook not delivered yet; it stays queued and is retried: "
                   + "; ".join(outcome.webhook.failed.values()), err=True)
    if outcome.pushed:
        failed = outcome.push_failures
        click.echo(f"Tally accepted {len(outcome.pushed) - len(failed)} of {len(outcome.pushed)} voucher(s).", err=True)
        for invoice_id, result in failed.items():
            click.echo(f"  {invoice_id}: {result.problem or '; '.join(result.line_errors) or 'not created'}", err=True)
        if failed:
            click.echo("Fix these in Tally (e.g. create the ledger), then push again with --again.", err=True)
            ctx.exit(3)


@main.command("report")
@click.argument("name", type=click.Choice(["purchases", "suppliers", "vat", "review"]))
@click.option("--month", help="YYYY-MM (suppliers, vat)")
@click.option("--year", help="YYYY (purchases)")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "svg"]), default="text")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to a file instead of stdout")
@_data_options
@click.pass_context
def report_command(ctx: click.Context, name: str, month: str | None, year: str | None, fmt: str,
                   out: Path | None, sub_data_dir: Path | None, sub_port: int | None) -> None:
    """Print a report: monthly purchases, spend by supplier, VAT input by rate, waiting for review."""
    from appliance import reports
    from appliance.box import open_box
    from appliance.exports.source import all_invoices

    settings = _resolve(ctx, sub_data_dir, sub_port)
    box = open_box(settings)
    try:
        invoices = all_invoices(box.journal)
    finally:
        box.close()
    table = {"purchases": lambda: reports.monthly_purchases(invoices, year),
             "suppliers": lambda: reports.spend_by_supplier(invoices, month),
             "vat": lambda: reports.vat_input_by_rate(invoices, month),
             "review": lambda: reports.waiting_for_review(invoices)}[name]()
    if fmt == "json":
        text = json.dumps(table.as_dict(), ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = table.as_csv()
    elif fmt == "svg":
        if name == "review":
            raise click.ClickException("The review report is a list; choose --format text, json or csv.")
        text = reports.chart_for(table, "vat" if name == "vat" else "total")
    else:
        text = table.as_text()
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text)
