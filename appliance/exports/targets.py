"""One export end to end, for the CLI and the web alike: target → renderer, run, push, webhook.

Targets are what an invoice is marked exported *to* (``invoice.exported {target}``):
tally, quickbooks, csv, json, excel, mushak, webhook. Format choices inside a target
(QuickBooks IIF or Online CSV, Mushak CSV or Excel) do not make a new target: a bill is in
QuickBooks once, whichever file carried it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.config import Settings
from appliance.exports import erp, mushak, quickbooks, tally
from appliance.exports.source import ExportRun, export_to_file
from appliance.queue.journal import Journal

TARGETS = ("tally", "quickbooks", "csv", "json", "excel", "mushak", "webhook")
FILE_SUFFIX = {"tally": ".xml", "quickbooks": ".iif", "csv": ".csv", "json": ".json", "excel": ".xlsx",
               "mushak": ".csv"}


class ExportProblem(Exception):
    """Arguments or settings that make an export impossible; the message says what to change."""


def kind_for(target: str, kind: str | None, out: Path | None) -> str | None:
    """The file format inside a target: from ``kind`` or else the output file's suffix."""
    suffix = out.suffix.lower() if out else ""
    if target == "quickbooks":
        kind = kind or ("csv" if suffix == ".csv" else "iif")
        if kind not in ("iif", "csv"):
            raise ExportProblem("QuickBooks exports are --format iif (Desktop) or csv (Online).")
    elif target == "mushak":
        kind = kind or ("xlsx" if suffix == ".xlsx" else "csv")
        if kind not in ("csv", "xlsx"):
            raise ExportProblem("The Mushak register is --format csv or xlsx.")
    elif kind:
        raise ExportProblem(f"--format does not apply to {target} exports.")
    return kind


def renderer(target: str, settings: Settings, month: str, kind: str | None, language: str = "en"):
    if target == "tally":
        return tally.render(tally.TallyOptions.from_settings(settings))
    if target == "quickbooks":
        return quickbooks.render(quickbooks.QuickBooksOptions.from_settings(settings), kind or "iif")
    if target == "mushak":
        return mushak.render(kind or "csv", month, language)
    if target in erp.RENDERERS:
        return erp.RENDERERS[target]
    if target == "webhook":
        return lambda invoices: b""
    raise ExportProblem(f"Unknown export target '{target}'; choose one of {', '.join(TARGETS)}.")


@dataclass
class Outcome:
    run: ExportRun
    pushed: dict[str, tally.TallyResult] = field(default_factory=dict)
    webhook: erp.DeliveryReport | None = None

    @property
    def push_failures(self) -> dict[str, tally.TallyResult]:
        return {k: r for k, r in self.pushed.items() if not r.ok}

    def as_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "target": run.target, "month": run.month, "exported": run.count, "export_id": run.export_id,
            "out": str(run.path) if run.path else None, "invoices": [inv["id"] for inv in run.invoices],
            "pushed": {k: r.as_payload() for k, r in self.pushed.items()},
            "webhook": None if self.webhook is None else
            {"delivered": self.webhook.delivered, "failed": self.webhook.failed},
        }


def export(journal: Journal, settings: Settings, target: str, month: str, out: Path | None = None, *,
           again: bool = False, kind: str | None = None, push: bool = False, actor: str = "system",
           rows: list[dict[str, Any]] | None = None, language: str = "en") -> Outcome:
    """Export ``month``'s approved invoices to ``target`` and mark them; optionally push / deliver.

    ``out`` None keeps the rendered bytes in ``outcome.run.data`` only (the web's download).
    ``rows``: read-model invoices from the web; None folds the journal (the CLI).
    """
    if target not in TARGETS:
        raise ExportProblem(f"Unknown export target '{target}'; choose one of {', '.join(TARGETS)}.")
    kind = kind_for(target, kind, out)
    if push and target != "tally":
        raise ExportProblem("--push applies to Tally only.")
    if push and not settings.tally_url:
        raise ExportProblem("Set tally_url (e.g. http://192.168.0.10:9000) in the settings to push to Tally.")
    companions = None
    if target == "webhook":
        if not settings.erp_webhook_url or not settings.erp_webhook_secret:
            raise ExportProblem("Set erp_webhook_url and erp_webhook_secret in the settings to use the webhook.")
        companions = lambda export_id, chosen: [erp.pending_event(export_id, chosen, actor)]  # noqa: E731
        out = None
    run = export_to_file(journal, target, month, out, renderer(target, settings, month, kind, language),
                         again=again, actor=actor, rows=rows, companions=companions,
                         extra={"format": kind} if kind else None)
    outcome = Outcome(run)
    if push and run.invoices:
        outcome.pushed = tally.push_invoices(journal, run.invoices, tally.TallyOptions.from_settings(settings),
                                             settings.tally_url or "", export_id=run.export_id, actor=actor)
    if target == "webhook" and run.invoices:
        outcome.webhook = erp.deliver_pending(journal, settings.erp_webhook_url or "",
                                              settings.erp_webhook_secret or "", actor=actor)
    return outcome
