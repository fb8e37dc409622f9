"""``/lineage`` on ``stikg serve``: the lineage page with its data from the server's worker pool.

``install(app)`` adds two routes to a :class:`stikg.web.sparql_app.App`:

* ``GET /lineage?strategy=…&fiscal_year=…&agency=…&stage=…`` — the same self-contained page as
  ``stikg viz`` (filters preset from the query string; evidence links are relative
  ``/source/<doc>#L<line>``); a name that matches nothing answers 404 with the page explaining it;
* ``GET /lineage/data.json`` — the page's data (same parameters) as JSON.

The lineage queries run once through the server's :class:`~stikg.web.workers.WorkerPool` (the same
store, the same timeout) and the records are kept for the life of the server.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from stikg.lineage import STAGES, Filters, LineageData, LineageError, fetch
from stikg.web.http import HTTPError, Response
from stikg.web.lineage_page import page_data, render_page
from stikg.web.workers import Job

MAX_ROWS = 5_000_000


class LineageView:
    """Request handlers of the lineage routes (records fetched lazily, once)."""

    def __init__(self, app: Any):
        self.app = app
        self._data: LineageData | None = None
        self._lock = threading.Lock()

    def data(self) -> LineageData:
        with self._lock:
            if self._data is None:
                def run(text: str) -> Any:
                    result, truncated = self.app.pool.run(Job(text, "json", MAX_ROWS, as_result=True),
                                                          self.app.config.timeout)
                    if truncated:
                        raise LineageError(f"a lineage query has more than {MAX_ROWS} rows")
                    return result

                self._data = fetch(run, self.app.config.queries_dir)
            return self._data

    def _filters(self, request: Any) -> Filters:
        year = (request.param("fiscal_year") or "").strip()
        if year and not year.lstrip("-").isdigit():
            raise HTTPError(400, f"fiscal_year must be a year like 2025, got {year!r}")
        stage = (request.param("stage") or "").strip() or None
        if stage and stage not in STAGES:
            raise HTTPError(400, f"stage must be one of {', '.join(STAGES)}, got {stage!r}")
        return Filters((request.param("strategy") or "").strip() or None, int(year) if year else None,
                       (request.param("agency") or "").strip() or None, stage)

    def page(self, request: Any) -> Any:
        payload = page_data(self.data(), self._filters(request), mode="serve", server_url="")
        status = 404 if payload["initial"]["errors"] else 200
        return Response(status, render_page(payload).encode("utf-8"), "text/html; charset=utf-8",
                        {"Cache-Control": "no-cache"})

    def data_json(self, request: Any) -> Any:
        payload = page_data(self.data(), self._filters(request), mode="serve", server_url="")
        status = 404 if payload["initial"]["errors"] else 200
        return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                        "application/json; charset=utf-8")


def install(app: Any) -> None:
    """Add ``/lineage`` and ``/lineage/data.json`` to ``app``."""
    view = LineageView(app)
    app.route("GET", r"/lineage/?", view.page)
    app.route("GET", r"/lineage/data\.json", view.data_json)
