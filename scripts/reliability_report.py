"""Regenerate docs/RELIABILITY.md: run the reliability and security checks in their full form and
write what each tried and what was measured.

    python scripts/reliability_report.py            # full: 10,000 fuzz cases per property, 24 kill
                                                    # points, 20 push kills, 50 clients × 2,000 requests
    python scripts/reliability_report.py --quick    # the sizes of the default test run (minutes)

The checks are the tests in tests/test_reliability_build.py, test_security_web.py,
test_security_cli.py, test_load.py, test_fuzz_normalizers.py and test_extract_fuzz.py (run with
pytest; they append their measurements to a JSON-lines file named by STIKG_RELIABILITY_RESULTS)
and benchmarks/load_test.py. The document is written atomically (a failing check is reported in
it, not hidden); the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stikg.core.atomic import write_text  # noqa: E402

TEST_FILES = (
    "tests/test_reliability_build.py",
    "tests/test_security_web.py",
    "tests/test_security_cli.py",
    "tests/test_load.py",
    "tests/test_serve_attacks.py",
    "tests/test_fuzz_normalizers.py",
    "tests/test_extract_fuzz.py",
)
FULL = {"STIKG_FUZZ_EXAMPLES": "10000", "STIKG_KILL_POINTS": "24", "STIKG_PUSH_KILLS": "20",
        "STIKG_CRAWL_LIMIT": "400", "STIKG_LOAD_CLIENTS": "10", "STIKG_LOAD_REQUESTS": "200"}
QUICK: dict[str, str] = {}
SECTIONS = {
    "tests/test_security_web.py": "Endpoint hardening and hostile input on the web side",
    "tests/test_load.py": "Load (short form in the test suite)",
    "tests/test_serve_attacks.py": "The endpoint under slow clients, slow queries and large bodies (issue 18)",
    "tests/test_reliability_build.py": "Faults: kill -9, interrupted push, damaged store",
    "tests/test_security_cli.py": "Hostile input on the command line",
    "tests/test_fuzz_normalizers.py": "Fuzzing with oracles: amounts, dates, extractor reports",
    "tests/test_extract_fuzz.py": "Fuzzing: the extractor and normalisers never crash",
}
TRIED = {
    "test_slowloris_200_sockets_do_not_delay_others_and_are_closed":
        "200 sockets (150 sending their headers a byte at a time, 50 idle), `ASK {}` from another client meanwhile "
        "(before, on http.server: 16 such sockets held `ASK {}` for 44 s)",
    "test_slow_queries_from_10_clients_do_not_hold_up_a_cheap_one":
        "10 clients looping a query that runs to the timeout, `ASK {}` from another client "
        "(before: `ASK {}` median 9.6 s, some 503)",
    "test_large_bodies_get_413_and_memory_returns":
        "8 concurrent 64 MB bodies with Content-Length and 8 chunked; server RSS sampled "
        "(before: read whole, parent 112 → 565 MB)",
    "test_bad_input_gets_one_4xx_with_a_reason":
        "malformed request line, method, version, bad percent-encoding and UTF-8, oversized header and URL, "
        "bad Content-Length and chunk sizes, h2c upgrade",
    "test_content_length_mismatches": "bodies shorter and longer than their Content-Length",
    "test_updates_and_service_are_refused_and_never_call_out":
        "15 SPARQL Update forms (INSERT/DELETE/LOAD/CLEAR/DROP/CREATE/ADD/MOVE/COPY) × 6 transports, 13 SERVICE "
        "forms (local listener, dbpedia, example.org, file:, SERVICE ?var, SILENT, nested in OPTIONAL/sub-select/"
        "FILTER EXISTS/UNION/MINUS, lower case, \\u0053ERVICE), FROM/FROM NAMED/default-graph-uri at a local listener",
    "test_pathological_query_is_stopped_while_others_answer":
        "a 5-way cartesian product and `(p|^p)*` paths over the whole graph with a 2 s timeout, light queries meanwhile",
    "test_result_size_is_capped_in_every_format": "SELECT */CONSTRUCT over everything in JSON, CSV, TSV, XML, N-Triples",
    "test_50_mb_body_is_refused_quickly_without_reading_it": "a 50 MB POST (Content-Length first, body streamed), a chunked POST",
    "test_many_slow_requests_do_not_spawn_unbounded_threads": "32 concurrent slow queries; threads and worker processes sampled from /proc",
    "test_idle_connections_do_not_starve_the_server":
        "request-threads + 2 idle, half-sent and stalled-body connections (slowloris), then one normal request",
    "test_hostile_labels_render_as_text_on_every_page":
        "HTML/JS payloads in registry labels, aliases, a catalog title, document lines and a library query header; "
        "crawl of the query page, entity pages, source viewer, lineage view (payloads in its query string) and 404s",
    "test_hostile_library_listing_and_json_routes": "the query page's library listing, /library JSON, /lineage/data.json",
    "test_hostile_source_viewer_shows_the_lines_escaped": "the document lines with payloads in /source/<doc>",
    "test_security_headers_on_every_html_route": "Content-Security-Policy (no 'unsafe-inline' script) and nosniff on every HTML route",
    "test_path_traversal_and_listings_answer_404":
        "`..`, `%2e%2e`, encoded and doubled slashes, backslashes, NUL, absolute paths, absolute-form targets, "
        "directory listings on /static, /source, /dumps, /graph, entity paths and /lineage",
    "test_no_header_injection_or_open_redirect": "CR/LF in entity, source, lineage, ontology and /sparql paths; `//host` paths",
    "test_static_scripts_never_write_html_from_data": "innerHTML/outerHTML/insertAdjacentHTML/document.write/eval in the page scripts",
    "test_concurrent_clients_zero_errors_and_stable_memory": "concurrent clients over the whole request mix; RSS sampled from /proc",
    "test_load_test_refuses_a_remote_target": "benchmarks/load_test.py pointed at a non-loopback host",
    "test_kill_build_at_random_points_never_loses_kg":
        "`kill -9` of `stikg build --reasoner fast` at seeded random fractions (0–1.1) of a measured build, inputs "
        "alternating between two variants; kg/ checked after each kill (hashes vs manifest.json, dataset.nq parses "
        "with the manifest's per-graph counts, byte-identical to other builds of the same inputs); then a full build",
    "test_kill_at_each_step_of_the_swap":
        "SIGKILL injected after the staging dataset, after the manifest, right at the swap (after the "
        "RENAME_EXCHANGE, or between the two renames of the fallback), after the swap; kg/ and `stikg query` checked "
        "right after; then the next build",
    "test_kill_between_cache_and_extracted_csvs": "SIGKILL after a changed document's cache entry is written, before its CSVs",
    "test_kill_push_leaves_each_graph_old_or_new":
        "`kill -9` of `stikg push` at seeded random moments against a real Oxigraph server, alternating old/new datasets "
        "(every graph differs); per-graph triple counts after each kill; then a full push",
    "test_truncated_graph_store_put_leaves_the_graph_as_it_was": "a Graph Store PUT whose body stops at 5 %, 50 %, 95 % (a push killed mid-upload)",
    "test_damaged_store_is_detected_and_rebuilt": "var/store with a truncated SST, a deleted SST, a truncated MANIFEST, a broken CURRENT, a broken stamp",
    "test_store_build_killed_while_holding_the_lock": "a `stikg query` killed -9 while rebuilding the store (lock held, staging half-written), a stale lock file",
    "test_param_injection_is_bound_as_a_term": "`--param program='x\" } ; DROP ALL ; #'` and IRI break-outs, embedded and --endpoint",
    "test_bound_literals_round_trip_or_are_refused": "property test: any text/language as a bound literal, embedded and written into VALUES",
    "test_catalog_python_tags_are_refused_with_file_and_line": "`!!python/object/apply:os.system`, `!!python/object/new`, `!!python/name` in catalog.yaml",
    "test_registry_python_tags_are_refused_with_file_and_line": "`!!python/object/apply:os.system` in each registry file",
    "test_yaml_alias_bomb_is_refused_quickly": "a billion-laughs alias bomb in catalog.yaml and programs.yaml (10 s, 2 GB limit)",
    "test_bad_documents_are_refused_with_file_and_line":
        "invalid UTF-8, Shift_JIS, truncated sequences, ANSI escapes, NUL, NEL, U+FFFD in a document (build and extract)",
    "test_utf16_document_is_refused_with_the_file": "a UTF-16 document",
    "test_bad_yaml_encoding_names_the_file": "invalid UTF-8 in catalog.yaml and hubs.yaml",
    "test_amounts_round_trip_exactly": "generated amounts in every unit, commas, decimals, full-width, spaces, の内数, compounds",
    "test_long_numbers_are_exact_or_refused": "figures up to 40 digits with up to 40 decimals",
    "test_amount_rejections_name_the_text": "noise from amount characters and arbitrary text",
    "test_dates_round_trip": "era dates (令和/平成/昭和, 元, kanji numerals), Western, ISO, R/H abbreviations, fiscal years",
    "test_impossible_dates_are_refused_with_the_text": "years 0–120 of each era, months 0–15, days 0–40",
    "test_date_rejections_are_value_errors_with_a_message": "arbitrary text and date-like noise",
    "test_extractor_reports_every_rejection": "corpus lines mixed with generated amounts and hostile characters",
    "test_extractor_never_crashes": "mutated corpus lines, arbitrary text (test_extract_fuzz.py)",
    "test_normalisers_raise_only_value_error": "arbitrary text into the three normalisers (test_extract_fuzz.py)",
}

# Bugs these checks found while they were written, and the commits that fixed them.
FOUND = (
    ("test_idle_connections_do_not_starve_the_server",
     "idle or half-sent connections (more than the request threads) blocked `stikg serve` for good: no read timeout",
     "9255f4a"),
    ("test_security_headers_on_every_html_route",
     "the query page had no Content-Security-Policy; the lineage view declared its policy in <meta> only", "9255f4a"),
    ("test_kill_at_each_step_of_the_swap",
     "a kill between the two renames of the kg/ swap left no kg/ (only .kg.old) until the next build; "
     "`stikg query` failed with 'no built graph'", "2efc09d"),
    ("test_kill_between_cache_and_extracted_csvs",
     "a kill after a document's cache entry but before its CSVs left mappings/extracted/ stale for good", "2efc09d"),
    ("test_damaged_store_is_detected_and_rebuilt",
     "a truncated RocksDB MANIFEST opened as an empty store: `stikg query` answered nothing, without an error",
     "65c857b"),
    ("test_catalog_python_tags_are_refused_with_file_and_line",
     "a `!!python/...` tag in catalog.yaml gave a traceback (nothing ran: the loader was safe)", "7a20293"),
    ("test_yaml_alias_bomb_is_refused_quickly",
     "a billion-laughs alias bomb in catalog.yaml or the registry hung `stikg build` and ate memory", "7a20293"),
    ("test_long_numbers_are_exact_or_refused",
     "amounts beyond 28 significant digits were rounded silently (`1.0000000000000000000000000001円` read as 1)",
     "6302a98"),
)

# What to change when a check fails (shown next to failing checks only).
FIXES = {
    "test_idle_connections_do_not_starve_the_server":
        "src/stikg/server.py `RequestHandler`: set a read timeout (`timeout = 10`); http.server then drops idle "
        "and half-sent connections (`handle_one_request` catches TimeoutError) instead of holding a request thread forever",
    "test_security_headers_on_every_html_route":
        "src/stikg/server.py `RequestHandler._send`: add `Content-Security-Policy: default-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'` to text/html responses that set none (the query page); "
        "src/stikg/lineage_web.py `page`: send the page's hash-based policy (now only in <meta>) as a header too",
    "test_kill_at_each_step_of_the_swap":
        "src/stikg/atomic.py `replace_directory`: swap staging and target in one step with renameat2(RENAME_EXCHANGE) "
        "(Linux; ctypes), then delete the staging name (which now holds the old tree); keep the two renames as the "
        "fallback. Today a crash between `os.replace(target, backup)` and `os.replace(staging, target)` leaves no kg/ "
        "until the next build, and `stikg query`/`serve`/`push` fail meanwhile",
    "test_kill_between_cache_and_extracted_csvs":
        "src/stikg/build.py `extract_and_map`: write the CSVs before `cache.put` (a crash in between leaves a cache hit "
        "whose CSVs were never written, and the `is_dir()` test then skips them for good)",
    "test_damaged_store_is_detected_and_rebuilt":
        "src/stikg/store.py `_open_read_only`: the probe's answer is ignored, so an empty store (truncated RocksDB "
        "MANIFEST) is accepted and answers nothing; record the quad count in the stamp at build time and require "
        "`len(store)` to equal it",
    "test_catalog_python_tags_are_refused_with_file_and_line":
        "src/stikg/corpus.py `load_catalog`: catch yaml.YAMLError around `_construct(node)` and raise "
        "CorpusError(problem, path, problem_mark.line + 1) (nothing is executed today, but the CLI shows a traceback)",
    "test_yaml_alias_bomb_is_refused_quickly":
        "src/stikg/corpus.py and src/stikg/registry.py: refuse YAML aliases (an AliasEvent from yaml.parse, or a node "
        "reached twice after compose) with file and line, or check that text fields are scalar nodes before constructing",
    "test_long_numbers_are_exact_or_refused":
        "src/stikg/normalize.py `parse_amount`: Decimal arithmetic runs in the default 28-digit context and rounds "
        "silently; compute in a local context with enough precision and the Inexact trap (or with Fraction)",
}


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def run_pytest(env: dict[str, str], results: Path, junit: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
         f"--junitxml={junit}", *TEST_FILES],
        cwd=ROOT, env={**os.environ, **env, "STIKG_RELIABILITY_RESULTS": str(results)},
        capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def run_load(quick: bool, out: Path) -> tuple[int, dict | None, str]:
    args = ["--clients", "10", "--requests", "120"] if quick else ["--clients", "50", "--requests", "2000"]
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load_test.py"), *args, "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    data = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
    return done.returncode, data, (done.stdout + done.stderr)[-3000:]


def hypothesis_counts(output: str) -> dict[str, int]:
    """Examples run per property test, from ``--hypothesis-show-statistics``."""
    counts: dict[str, int] = defaultdict(int)
    current = None
    for line in output.splitlines():
        head = re.match(r"^(tests/\S+::\S+):\s*$", line)
        if head:
            current = head.group(1)
            continue
        m = re.search(r"- (\d+) passing examples?, (\d+) failing examples?, (\d+) invalid", line)
        if m and current:
            counts[current] += int(m.group(1)) + int(m.group(2))
    return dict(counts)


def testcases(junit: Path) -> list[dict[str, str]]:
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        outcome = "failed" if failure is not None else "skipped" if skipped is not None else "passed"
        message = ""
        if failure is not None:
            message = (failure.get("message") or failure.text or "").strip().splitlines()[0][:400]
        elif skipped is not None:
            message = (skipped.get("message") or "").strip()[:200]
        out.append({"file": path, "name": case.get("name", ""), "time": f"{float(case.get('time', 0)):.1f}",
                    "outcome": outcome, "message": message})
    return out


def records(path: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out[item.pop("test")].append(item)
    return out


def md(text: object) -> str:
    """Text for a Markdown table cell (no raw HTML, no cell breaks)."""
    return str(text).replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def measured(name: str, rec: dict[str, list[dict]], fuzz: dict[str, int]) -> str:
    """The measured result of one test function, from its records ("" when they lack it)."""
    try:
        return _measured(name, rec, fuzz)
    except (KeyError, TypeError, ValueError):
        return ""


def _measured(name: str, rec: dict[str, list[dict]], fuzz: dict[str, int]) -> str:
    def last(key: str) -> dict:
        return rec.get(key, [{}])[-1]

    if name == "test_kill_build_at_random_points_never_loses_kg" and "kill_build_random" in rec:
        r = last("kill_build_random")
        return (f"{r['survived']} kill points survived, each old → new inputs (seed {r['seed']}, build ≈ "
                f"{r['estimate_s']} s); kg/ afterwards: the complete new build {r['new']} times, the complete previous "
                f"build {r['survived'] - r['new']} times, never anything else; kills by step: "
                + ", ".join(f"{k} {v}" for k, v in r.get("phases", {}).items()) + f"; final build {r['final_build_s']} s")
    if name == "test_kill_at_each_step_of_the_swap":
        return "; ".join(f"{r['point']}: kg/ {'complete' if r['kg_after_crash'] == 'ok' else r['kg_after_crash']}"
                         + (f", `stikg query` exit {r['reader_exit']}" if r["reader_exit"] is not None else "")
                         for r in rec.get("kill_build_injected", []))
    if name == "test_truncated_graph_store_put_leaves_the_graph_as_it_was" and "truncated_put" in rec:
        r = last("truncated_put")
        return f"the graph kept its {r['kept']} triples after bodies cut at {', '.join(map(str, r['cuts']))} %"
    if name == "test_result_size_is_capped_in_every_format" and "result_cap" in rec:
        return f"exactly {last('result_cap')['max_results']} rows/triples in every format, X-Stikg-Truncated: true"
    if name == "test_param_injection_is_bound_as_a_term":
        return "; ".join(f"{r['backend']}: refused as an unknown program, echoed verbatim, {r['triples']} triples unchanged"
                         for r in rec.get("param_injection", []))
    if name in ("test_catalog_python_tags_are_refused_with_file_and_line",
                "test_registry_python_tags_are_refused_with_file_and_line"):
        rows = [r for r in rec.get("yaml_tag", []) if (r["file"] == "catalog.yaml") == ("catalog" in name)]
        return " · ".join(f"`{r['message']}`" for r in rows[:2]) + (f" (+{len(rows) - 2} more)" if len(rows) > 2 else "")
    if name == "test_yaml_alias_bomb_is_refused_quickly":
        return " · ".join(f"{r['seconds']} s: `{r['message']}`" for r in rec.get("alias_bomb", []))
    if name == "test_bad_documents_are_refused_with_file_and_line":
        kinds: dict[str, str] = {}
        for r in rec.get("bad_document", []):
            kinds.setdefault(re.sub(r"\(.*\)|U\+\w+", "", r["message"]), r["message"])
        return " · ".join(f"`{m}`" for m in kinds.values())
    if name == "test_no_header_injection_or_open_redirect" and "header_injection" in rec:
        r = last("header_injection")
        return f"{r['tried']} targets, {r['wrong']} with an injected header or an off-site Location"
    if name == "test_static_scripts_never_write_html_from_data" and "dom_sinks" in rec:
        r = last("dom_sinks")
        return f"{', '.join(r['scripts'])}: {r['found']} HTML sinks fed with data"
    if name == "test_kill_between_cache_and_extracted_csvs" and "kill_cache_then_csv" in rec:
        return "mappings/extracted stale after the next build" if last("kill_cache_then_csv")["stale"] else "CSVs rewritten"
    if name == "test_kill_push_leaves_each_graph_old_or_new" and "kill_push_random" in rec:
        r = last("kill_push_random")
        return (f"{r['kills']} kills of a {r['push_s']} s push of {r['graphs']} graphs ({r['quads_old']} → "
                f"{r['quads_new']} quads): " + ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items())))
    if name == "test_damaged_store_is_detected_and_rebuilt":
        return "; ".join(f"{r['victim']}: {'same answer' if r['same_answer'] else 'WRONG answer'} (exit {r['exit']})"
                         for r in rec.get("store_damage", []))
    if name == "test_store_build_killed_while_holding_the_lock" and "store_stale_lock" in rec:
        return f"next query answered after {last('store_stale_lock')['seconds']} s"
    if name == "test_updates_and_service_are_refused_and_never_call_out" and "endpoint_refusals" in rec:
        r = last("endpoint_refusals")
        return f"{r['refused']} requests refused with 403; {r['outbound_connections']} outbound connections"
    if name == "test_pathological_query_is_stopped_while_others_answer":
        return "; ".join(f"{'cartesian' if 'COUNT(*) AS ?n) WHERE { ?a ?b' in r['query'] else 'path'}: {r['status']} after "
                         f"{r['seconds']} s (limit {r['limit_s']} s), {r['light_queries']} light queries meanwhile, "
                         f"slowest {r['light_max_s']} s" for r in rec.get("pathological_query", []))
    if name == "test_50_mb_body_is_refused_quickly_without_reading_it" and "body_cap" in rec:
        r = last("body_cap")
        return (f"413 after {r['seconds']} s, with {r['sent_before_answer'] / 2**20:.1f} MiB of the "
                f"{r['body_bytes'] / 2**20:.0f} MiB body sent")
    if name == "test_many_slow_requests_do_not_spawn_unbounded_threads" and "bounded_pool" in rec:
        r = last("bounded_pool")
        return (f"{r['requests']} slow requests: threads {r['idle_threads']} → peak {r['peak_threads']} "
                f"({r['http_threads']} request threads), worker processes peak {r['peak_workers']} ({r['workers']} configured)")
    if name == "test_idle_connections_do_not_starve_the_server" and "idle_connections" in rec:
        r = last("idle_connections")
        return f"answered after {r['answered_after_s']} s with {r['idle']} idle connections"
    if name == "test_hostile_labels_render_as_text_on_every_page" and "hostile_crawl" in rec:
        r = last("hostile_crawl")
        return (f"{r['pages']} URLs crawled ({r['html_pages']} HTML, {r['pages_showing_payloads']} showing payloads): "
                f"{r['unsafe_pages']} unsafe; routes without CSP header: {', '.join(r['routes_without_csp']) or 'none'}")
    if name == "test_security_headers_on_every_html_route" and "security_headers" in rec:
        r = last("security_headers")
        return f"{r['routes']} routes; missing: " + (", ".join(f"{k} ({'; '.join(v)})" for k, v in r["missing"].items()) or "none")
    if name == "test_path_traversal_and_listings_answer_404":
        return "; ".join(f"{r['where']}: {r['tried']} targets, {r['wrong']} not 404" for r in rec.get("path_traversal", []))
    if name == "test_concurrent_clients_zero_errors_and_stable_memory" and "load_short" in rec:
        r = last("load_short")
        return (f"{r['requests']} requests, {r['errors']} errors, p50 {r['latency_ms']['p50']} ms, p99 "
                f"{r['latency_ms']['p99']} ms, growth {r['growth_mb']} MB")
    if name == "test_slowloris_200_sockets_do_not_delay_others_and_are_closed" and "slowloris" in rec:
        r = last("slowloris")
        return (f"{r['sockets']} sockets: {r['ask_requests']} `ASK {{}}`, median {r['ask_median_s']} s, p99 "
                f"{r['ask_p99_s']} s; {r['closed']} closed by the server after {r['closed_after_s']} s "
                f"(client timeout {r['client_timeout_s']} s)")
    if name == "test_slow_queries_from_10_clients_do_not_hold_up_a_cheap_one" and "slow_queries" in rec:
        r = last("slow_queries")
        return (f"{r['ask_requests']} `ASK {{}}`: median {r['ask_median_s']} s, p99 {r['ask_p99_s']} s; "
                f"{r['slow_answers']} slow answers, {r['slow_503']} of them 503 ({r['with_retry_after']} with "
                f"Retry-After; timeout {r['timeout_s']} s)")
    if name == "test_large_bodies_get_413_and_memory_returns" and "large_bodies" in rec:
        r = last("large_bodies")
        return (f"{r['bodies']} bodies of {r['body_mb']} MB: all 413, at most {r['max_sent_mb']} MB sent before the "
                f"answer, slowest {r['slowest_s']} s; RSS {r['rss_before_mb']} → peak {r['rss_peak_mb']} → "
                f"{r['rss_after_mb']} MB")
    hits = {k: v for k, v in fuzz.items() if k.split("::")[-1].split("[")[0] == name}
    if hits:
        return f"{sum(hits.values()):,} generated cases"
    return ""


HAND_BEGIN = "<!-- hand-written: scripts/reliability_report.py keeps this block as it is -->"
HAND_END = "<!-- end hand-written -->"


def keep_hand_written(old: str, new: str) -> str:
    """``new`` with the hand-written blocks of ``old`` (between HAND_BEGIN and HAND_END) put back
    after the table of bugs, before the generated sections: a regeneration must not drop them."""
    blocks = re.findall(re.escape(HAND_BEGIN) + r".*?" + re.escape(HAND_END), old, flags=re.DOTALL)
    if not blocks:
        return new
    at = new.find("\n## Load test")
    if at < 0:
        return new.rstrip("\n") + "\n\n" + "\n\n".join(blocks)
    return new[:at] + "\n" + "\n\n".join(blocks) + "\n" + new[at:]


def render(mode: str, env: dict[str, str], cases: list[dict[str, str]], rec: dict[str, list[dict]],
           fuzz: dict[str, int], load: dict | None, load_status: int, load_tail: str, seconds: float,
           finished: str | None = None, loadavg: str | None = None, commit: str | None = None) -> str:
    now = finished or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    failed = [c for c in cases if c["outcome"] == "failed"]
    passed = sum(1 for c in cases if c["outcome"] == "passed")
    skipped = [c for c in cases if c["outcome"] == "skipped"]
    fuzz_total = sum(fuzz.values())
    kills = rec.get("kill_build_random", [{}])[-1].get("survived", 0)
    push_kills = rec.get("kill_push_random", [{}])[-1].get("kills", 0)
    out = [
        "# Reliability and security: measured results",
        "",
        f"Generated by `python scripts/reliability_report.py{' --quick' if mode == 'quick' else ''}` on {now}, "
        f"commit `{commit or git('rev-parse', '--short', 'HEAD')}`, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs shared with other "
        f"work (load average {loadavg or ', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end). "
        "Do not edit by hand: rerun the script.",
        "",
        f"Sizes: {', '.join(f'{k}={v}' for k, v in sorted(env.items())) or 'the defaults of the test suite'}"
        f"; load test {'10 × 120' if mode == 'quick' else '50 × 2,000'} requests.",
        "",
        "## Summary",
        "",
        "| check | result |",
        "|---|---|",
        f"| tests | {passed} passed, {len(failed)} failed, {len(skipped)} skipped in {seconds / 60:.1f} min |",
    ]
    if load:
        lat = load["latency_ms"]
        out.append(f"| load: {load['clients']} clients × {load['requests_per_client']} requests | {load['requests']:,} served, "
                   f"{load['errors']} errors, {load['throughput_rps']} req/s, p50 {lat['p50']} ms, p99 {lat['p99']} ms; "
                   f"RSS growth {load['growth_mb']} MB (bound {load['max_growth_mb']} MB) |")
    else:
        out.append(f"| load test | did not run (exit {load_status}) |")
    out += [
        f"| kill -9 of `stikg build` | {kills} random kill points + 4 injected |",
        f"| kill -9 of `stikg push` | {push_kills} kill points |",
        f"| fuzzing | {fuzz_total:,} generated cases over {len(fuzz)} property tests |",
        "",
    ]
    if failed:
        out += ["## Failing checks (bugs found, not yet fixed)", ""]
        for c in failed:
            fix = FIXES.get(c["name"].split("[")[0])
            out.append(f"- `{c['file']}::{c['name']}` — {md(c['message'])}" + (f"  \n  Proposed fix: {fix}" if fix else ""))
        out += [""]
    outcome = {c["name"].split("[")[0]: c["outcome"] for c in cases if c["outcome"] == "failed"}
    out += ["## Bugs these checks found while they were written", "", "| check | what was wrong | fixed in | now |",
            "|---|---|---|---|"]
    out += [f"| `{test}` | {md(what)} | {commit} | {'FAILING AGAIN' if test in outcome else 'passes'} |"
            for test, what, commit in FOUND]
    out += [""]
    if load:
        rss = load["rss_mb"]
        out += [
            "## Load test (`benchmarks/load_test.py`)",
            "",
            f"`stikg serve` (default settings: 16 request threads, 2 query workers, 10 s timeout) on 127.0.0.1 "
            f"serving the built kg/; {load['clients']} clients, each sending {load['requests_per_client']:,} requests "
            "on fresh connections, drawn (seeded) from: " + ", ".join(f"{k} ({v} URLs)" for k, v in load["mix"].items()) + ".",
            "",
            "| measure | value |",
            "|---|---|",
            f"| requests served | {load['requests']:,} in {load['seconds']} s ({load['throughput_rps']} req/s) |",
            f"| errors | {load['errors']} {('— ' + md('; '.join(load['error_examples'][:3]))) if load['errors'] else ''} |",
            f"| latency | p50 {load['latency_ms']['p50']} ms, p90 {load['latency_ms']['p90']} ms, "
            f"p99 {load['latency_ms']['p99']} ms, max {load['latency_ms']['max']} ms |",
        ]
        out += [f"| {k} | {v['requests']:,} requests, p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms |"
                for k, v in load["by_kind"].items()]
        out += [
            f"| server RSS (median, first → last {rss['window_requests']:,} requests) | {rss['server_first']} → "
            f"{rss['server_last']} MB, peak {rss['server_peak']} MB |",
            f"| query workers RSS | {rss['workers_first']} → {rss['workers_last']} MB, peak {rss['workers_peak']} MB |",
            f"| memory growth | {load['growth_mb']} MB (bound: < {load['max_growth_mb']} MB) |",
            "",
        ]
    else:
        out += ["## Load test", "", "```", load_tail, "```", ""]
    by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    for case in cases:
        by_file[case["file"]].append(case)
    for path in TEST_FILES:
        if path not in by_file:
            continue
        out += [f"## {SECTIONS.get(path, path)} (`{path}`)", "", "| test | what it tried | measured | outcome |", "|---|---|---|---|"]
        seen: set[str] = set()
        for case in by_file[path]:
            base = case["name"].split("[")[0]
            group = [c for c in by_file[path] if c["name"].split("[")[0] == base]
            if base in seen:
                continue
            seen.add(base)
            outcomes = [c["outcome"] for c in group]
            summary = ("passed" if set(outcomes) == {"passed"} else
                       ", ".join(f"{c['name'][len(base):] or base}: {c['outcome']}" for c in group if c["outcome"] != "passed"))
            seconds_used = sum(float(c["time"]) for c in group)
            out.append(f"| `{base}`{f' ({len(group)} cases)' if len(group) > 1 else ''} | {md(TRIED.get(base, ''))} | "
                       f"{md(measured(base, rec, fuzz))} | {md(summary)} ({seconds_used:.0f} s) |")
        out.append("")
    if fuzz:
        out += ["## Fuzz cases per property test", "", "| property test | generated cases |", "|---|---|"]
        out += [f"| `{k}` | {v:,} |" for k, v in sorted(fuzz.items())]
        out += [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the default test-suite sizes (a few minutes)")
    parser.add_argument("--skip-load", action="store_true", help="do not run benchmarks/load_test.py")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "RELIABILITY.md")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the raw outputs (junit, records, logs) in DIR")
    parser.add_argument("--render-only", type=Path, metavar="DIR", help="write the document from a --keep DIR, run nothing")
    args = parser.parse_args(argv)
    env = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="stikg-reliability-") as tmp:
        raw = args.render_only or args.keep or Path(tmp)
        raw.mkdir(parents=True, exist_ok=True)
        results, junit, load_json = raw / "results.jsonl", raw / "junit.xml", raw / "load.json"
        meta_path = raw / "meta.json"
        if args.render_only:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            output = (raw / "pytest.log").read_text(encoding="utf-8")
        else:
            print("running the tests …", file=sys.stderr, flush=True)
            status, output, seconds = run_pytest(env, results, junit)
            (raw / "pytest.log").write_text(output, encoding="utf-8")
            if not junit.is_file():
                print(output[-5000:], file=sys.stderr)
                return 2
            load_status, load_tail = 0, ""
            if not args.skip_load:
                print("running the load test …", file=sys.stderr, flush=True)
                load_status, _, load_tail = run_load(args.quick, load_json)
            dirty = " (with local changes)" if git("status", "--porcelain", "--", "src", "tests", "benchmarks") else ""
            meta = {"mode": "quick" if args.quick else "full", "env": env, "status": status, "seconds": seconds,
                    "load_status": load_status, "load_tail": load_tail,
                    "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "loadavg": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
                    "commit": git("rev-parse", "--short", "HEAD") + dirty}
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
        load = json.loads(load_json.read_text(encoding="utf-8")) if load_json.is_file() else None
        text = render(meta["mode"], meta["env"], testcases(junit), records(results), hypothesis_counts(output),
                      load, meta["load_status"], meta["load_tail"], meta["seconds"], meta.get("finished"),
                      meta.get("loadavg"), meta.get("commit"))
    status, load_status = meta["status"], meta["load_status"]
    if args.out.is_file():
        text = keep_hand_written(args.out.read_text(encoding="utf-8"), text)
    write_text(args.out, text + "\n")
    print(f"wrote {args.out} (tests exit {status}, load test exit {load_status})", file=sys.stderr)
    return 0 if status == 0 and load_status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
