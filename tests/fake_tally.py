"""A local stand-in for Tally's HTTP port, answering imports as Tally does.

It reads the posted ENVELOPE, and for each VOUCHER checks what Tally checks before it
creates one: every ledger named exists in the company, the AMOUNTs balance to zero, the
date is YYYYMMDD. It answers with Tally's RESPONSE counters (CREATED, ALTERED, ERRORS, ...)
and a LINEERROR per refusal, in ERP 9's bare <RESPONSE> or TallyPrime's ENVELOPE form.
A voucher whose REMOTEID it has seen is altered, not created again.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeTally:
    def __init__(self, ledgers: set[str], style: str = "erp9"):
        self.ledgers = set(ledgers)
        self.style = style
        self.requests: list[bytes] = []
        self.vouchers: dict[str, ET.Element] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = fake.answer(body).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTally:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def answer(self, body: bytes) -> str:
        with self._lock:
            self.requests.append(body)
            counts = dict.fromkeys(("CREATED", "ALTERED", "ERRORS", "EXCEPTIONS"), 0)
            errors: list[str] = []
            try:
                root = ET.fromstring(body)
            except ET.ParseError as exc:
                return self._response(counts | {"EXCEPTIONS": 1}, [f"Could not read XML: {exc}"])
            if root.findtext("HEADER/TALLYREQUEST") != "Import Data":
                return self._response(counts | {"EXCEPTIONS": 1}, ["Unknown Request, cannot be processed"])
            for voucher in root.iter("VOUCHER"):
                problem = self._check(voucher)
                if problem:
                    counts["ERRORS"] += 1
                    errors.append(problem)
                    continue
                remote = voucher.get("REMOTEID") or str(len(self.vouchers))
                counts["ALTERED" if remote in self.vouchers else "CREATED"] += 1
                self.vouchers[remote] = voucher
            return self._response(counts, errors)

    def _check(self, voucher: ET.Element) -> str | None:
        date = voucher.findtext("DATE") or ""
        if len(date) != 8 or not date.isdigit():
            return f"Invalid date '{date}'"
        total = Decimal(0)
        for entry in voucher.findall("ALLLEDGERENTRIES.LIST"):
            ledger = entry.findtext("LEDGERNAME")
            if ledger not in self.ledgers:
                return f"Ledger '{ledger}' does not exist!"
            total += Decimal(entry.findtext("AMOUNT") or "0")
        if total != 0:
            return f"Voucher totals do not match! Dr: {total}"
        return None

    def _response(self, counts: dict[str, int], errors: list[str]) -> str:
        fields = (f"<CREATED>{counts['CREATED']}</CREATED><ALTERED>{counts['ALTERED']}</ALTERED>"
                  f"<DELETED>0</DELETED><LASTVCHID>{len(self.vouchers)}</LASTVCHID><LASTMID>0</LASTMID>"
                  f"<COMBINED>0</COMBINED><IGNORED>0</IGNORED><ERRORS>{counts['ERRORS']}</ERRORS>"
                  f"<CANCELLED>0</CANCELLED><EXCEPTIONS>{counts['EXCEPTIONS']}</EXCEPTIONS>")
        line_errors = "".join(f"<LINEERROR>{e}</LINEERROR>" for e in errors)
        if self.style == "prime":
            return (f"<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC></DESC>"
                    f"<DATA>{line_errors}<IMPORTRESULT>{fields}</IMPORTRESULT></DATA></BODY></ENVELOPE>")
        return f"<RESPONSE>{line_errors}{fields}</RESPONSE>"
