"""Exports: approved invoices turned into what the shop's books import.

One module per destination — ``tally`` (XML vouchers, file or HTTP push), ``quickbooks``
(IIF and QuickBooks Online CSV), ``erp`` (CSV/JSON/Excel and a signed webhook), ``mushak``
(the NBR Mushak-6.1 purchase register) — each pure: invoice dicts in, bytes out. ``source``
picks the invoices and marks them exported (guarded, so nothing goes out twice by accident);
``money`` splits an invoice's amounts the same way for every destination.
"""
