"""Scale benchmarks: every stage, the full build, an incremental rebuild, the naive baseline and
an external store, on the real corpus and on synthetic corpora — one command.

    python benchmarks/run_all.py [--sizes real,500,5000] [--years 10] [--quick]

For each size (``real`` = this project's corpus; a number = ``stikg synth --programs N --years Y``):

1. ``stages``: benchmarks/stages.py in a subprocess — wall time and peak RSS of load, extract,
   map, reason, write, load_store (pyoxigraph), query (library, median latency), export (Turtle)
   and validate (pyshacl, time-boxed);
2. ``build``: ``stikg build --root DIR`` from a cold cache, wall time and the child's peak RSS;
3. ``rebuild``: the same after one document changed (the per-document cache of extract+map);
4. ``naive``: benchmarks/naive.py (one rdflib Graph, owlrl full closure, pyshacl over it), time-boxed
   by ``--naive-timeout`` (600 s); once it does not finish, larger sizes skip it;
5. ``virtuoso`` (largest size, when ``virtuoso-t`` is installed): ``stikg push`` into a fresh
   Virtuoso (the test helper's server), then every library query's median latency on it via the
   endpoint backend that ``stikg query --endpoint`` uses.

Results: ``benchmarks/results/scale_{stages,build,queries,growth}.csv`` and ``scale_summary.md``.
Timings on a shared machine are noisy: ``--repeat`` controls query repetitions; re-run to compare.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from stages import TreeSampler  # noqa: E402

BUILD_TARGET_S = 120.0
BUILD_TARGET_RSS_MB = 4096.0
SPEEDUP_TARGET = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(cmd: list[str], timeout: float | None = None, cwd: Path | None = None,
          env: dict[str, str] | None = None, stderr_path: Path | None = None) -> dict:
    """Run ``cmd``; wall time, the child's peak RSS (wait4) and whether it finished in time."""
    err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    out_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed below (a file, not a pipe: no deadlock)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out_file, stderr=err, start_new_session=True)
    status, rusage, finished = 0, None, True
    sampler = TreeSampler(proc.pid, interval=0.5)
    sampler.__enter__()
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                finished = False
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                _, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        out = out_file.read()
    finally:
        sampler.__exit__()
        out_file.close()
        if stderr_path:
            err.close()
    return {"wall_s": round(time.perf_counter() - started, 2), "peak_rss_mb": round(rusage.ru_maxrss / 1024, 1),
            "peak_tree_mb": round(sampler.peak, 1), "finished": finished, "returncode": proc.returncode,
            "stdout": out.decode("utf-8", "replace")}


# ----------------------------------------------------------------------------------- corpora
def prepare(size: str, years: int, seed: int, work: Path) -> tuple[Path, dict]:
    """A project root for ``size``: a copy of this project's inputs, or a fresh synthetic corpus."""
    if size == "real":
        root = work / "real"
        shutil.rmtree(root, ignore_errors=True)
        for folder in ("sources", "mappings/registry", "ontology", "shapes", "queries"):
            shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
        return root, {"programs": "", "years": "", "synth_s": ""}
    root = work / f"synth-{size}x{years}"
    run = timed([sys.executable, "-m", "stikg.cli", "synth", "--programs", size, "--years", str(years),
                 "--seed", str(seed), "--out", str(root)], cwd=ROOT)
    if run["returncode"] != 0:
        raise SystemExit(f"stikg synth failed for {size}: {run['stdout']}")
    return root, {"programs": int(size), "years": years, "synth_s": run["wall_s"], "synth_rss_mb": run["peak_rss_mb"]}


def change_one_document(root: Path) -> tuple[Path, bytes]:
    """Append a line to the middle document (as a correction would); returns it and its old bytes."""
    docs = sorted((root / "sources").glob("*.txt"))
    doc = docs[len(docs) // 2]
    old = doc.read_bytes()
    doc.write_bytes(old + "※計数は精査中であり、今後変更があり得る。\n".encode())
    return doc, old


# ----------------------------------------------------------------------------------- virtuoso
def bench_virtuoso(root: Path, dataset: Path, repeat: int, work: Path) -> tuple[list[dict], dict]:
    """Push ``dataset`` into a fresh Virtuoso and time every library query there."""
    sys.path.insert(0, str(ROOT / "tests"))
    import servers
    from stikg.sparql import EndpointBackend, library

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from stages import time_query

    rows: list[dict] = []
    info: dict = {}
    # the test helper's server, with buffers sized for a million triples (~1.3 GB)
    with servers.virtuoso_process(work / "virtuoso", buffers=170_000) as server:
        push = timed([sys.executable, "-m", "stikg.cli", "push", "--endpoint", server.query,
                      "--graph-store", server.graph_store, "--user", server.user, "--password", server.password,
                      "--dataset", str(dataset), "--timeout", "1800"], cwd=root, timeout=3600,
                     stderr_path=work / "push.log")
        info = {"push_s": push["wall_s"], "push_ok": push["finished"] and push["returncode"] == 0,
                "push_out": push["stdout"].strip()}
        log(f"  virtuoso push: {push['wall_s']} s, {info['push_out'] or 'failed (see push.log)'}")
        if not info["push_ok"]:
            return rows, info
        cli = timed([sys.executable, "-m", "stikg.cli", "query", "program_amounts", "--endpoint", server.query,
                     "--format", "csv"], cwd=root, timeout=600)
        info["cli_query_s"] = cli["wall_s"]
        info["cli_query_ok"] = cli["finished"] and cli["returncode"] == 0
        info["cli_query_rows"] = max(0, len(cli["stdout"].splitlines()) - 1)
        # the union of the kg graphs as default-graph-uri (stikg query --endpoint), and Virtuoso's own
        # default graph, which is already the union of every graph (--endpoint-default-graph)
        for mode, backend in (("virtuoso", EndpointBackend(server.query, timeout=300)),
                              ("virtuoso --endpoint-default-graph",
                               EndpointBackend(server.query, union=False, timeout=300))):
            for name, query in library(root / "queries").items():
                try:
                    rows.append({"backend": mode, "query": name, **time_query(query, backend, repeat),
                                 "status": "ok"})
                except Exception as exc:  # an endpoint error is a result to report, not a crash
                    rows.append({"backend": mode, "query": name, "median_ms": "", "rows": "",
                                 "status": f"error: {str(exc)[:160]}"})
    return rows, info


# ----------------------------------------------------------------------------------- reports
def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    from stikg.core import atomic

    lines = []
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    lines.append(buf.getvalue())
    atomic.write_text(path, "".join(lines))


def growth_rows(stage_rows: list[dict]) -> list[dict]:
    """Per stage, how time and memory grow from one size to the next (exponent = d log t / d log quads)."""
    by_size: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    for row in stage_rows:
        if row["size"] not in by_size:
            order.append(row["size"])
        by_size.setdefault(row["size"], {})[row["stage"]] = row
    out = []
    for a, b in zip(order, order[1:], strict=False):
        for stage, rb in by_size[b].items():
            ra = by_size[a].get(stage)
            if not ra or not ra.get("quads") or rb.get("status") != "ok" or ra.get("status") != "ok":
                continue
            q = rb["quads"] / ra["quads"]
            t = rb["wall_s"] / ra["wall_s"] if ra["wall_s"] else float("nan")
            out.append({"stage": stage, "from": a, "to": b, "quads_ratio": round(q, 2), "time_ratio": round(t, 2),
                        "rss_ratio": round(rb["peak_rss_mb"] / ra["peak_rss_mb"], 2) if ra["peak_rss_mb"] else "",
                        "exponent": round(math.log(t) / math.log(q), 2) if q > 1 and t > 0 else ""})
    return out


def _mem(row: dict) -> str:
    """Peak RSS of the main process, and of the whole process tree (PSS sum) when workers added to it."""
    rss, tree = row.get("peak_rss_mb"), row.get("peak_tree_mb")
    if rss in ("", None):
        return ""
    text = f"{rss:.0f} MB"
    if tree not in ("", None) and tree > rss * 1.05:
        text += f" ({tree:.0f} MB with workers)"
    return text


def summary_md(meta: dict, stage_rows: list[dict], build_rows: list[dict], query_rows: list[dict],
               growth: list[dict]) -> str:
    """The tables of docs/SCALE.md, from this run."""
    sizes = list(dict.fromkeys(r["size"] for r in stage_rows))
    stages = list(dict.fromkeys(r["stage"] for r in stage_rows))
    cell = {(r["size"], r["stage"]): r for r in stage_rows}
    out = [f"Run {meta['date']} on {meta['machine']} (load average at start {meta['load']}).\n"]
    head = "| stage | " + " | ".join(f"{s} ({cell.get((s, 'write'), {}).get('quads', '?'):,} quads)"
                                      if isinstance(cell.get((s, 'write'), {}).get('quads'), int) else s
                                      for s in sizes) + " |"
    out += [head, "|---|" + "---|" * len(sizes)]
    for stage in stages:
        vals = []
        for s in sizes:
            r = cell.get((s, stage))
            if r is None:
                vals.append("")
            elif r["status"] != "ok":
                vals.append(f"{r['status']} ({_mem(r)})")
            else:
                vals.append(f"{r['wall_s']:.2f} s, {_mem(r)}")
        out.append(f"| {stage} | " + " | ".join(vals) + " |")
    out += ["", "| size | quads | pipeline | wall | peak memory | status |", "|---|---|---|---|---|---|"]
    for r in build_rows:
        wall = f"{r['wall_s']:.1f} s" if r["wall_s"] != "" else ""
        out.append(f"| {r['size']} | {r['quads']:,} | {r['pipeline']} | {wall} | {_mem(r)} | {r['status']} |")
    if query_rows:
        backends = list(dict.fromkeys((r["size"], r["backend"]) for r in query_rows))
        out += ["", "| query | " + " | ".join(f"{s} {b}" for s, b in backends) + " |",
                "|---|" + "---|" * len(backends)]
        qcell = {(r["size"], r["backend"], r["query"]): r for r in query_rows}
        for name in dict.fromkeys(r["query"] for r in query_rows):
            vals = []
            for s, b in backends:
                r = qcell.get((s, b, name))
                vals.append("" if r is None else (f"{r['median_ms']} ms" if r["status"] == "ok" else r["status"][:40]))
            out.append(f"| {name} | " + " | ".join(vals) + " |")
    if growth:
        out += ["", "| stage | sizes | quads × | time × | RSS × | exponent |", "|---|---|---|---|---|---|"]
        for g in growth:
            out.append(f"| {g['stage']} | {g['from']} → {g['to']} | {g['quads_ratio']} | {g['time_ratio']} | "
                       f"{g['rss_ratio']} | {g['exponent']} |")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated: real and/or program counts (default real,500,5000)")
    parser.add_argument("--years", type=int, default=10, help="fiscal years of the synthetic corpora (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="a few minutes: sizes real,100; 3 query runs; short time boxes; no Virtuoso")
    parser.add_argument("--repeat", type=int, default=None, help="runs per query for the median (default 5)")
    parser.add_argument("--naive-timeout", type=float, default=None, help="seconds for the naive pipeline (600)")
    parser.add_argument("--build-timeout", type=float, default=None, help="seconds for one stikg build (3600)")
    parser.add_argument("--validate-timeout", type=float, default=None, help="seconds for the validate stage (3600)")
    parser.add_argument("--virtuoso", choices=("auto", "all", "none"), default=None,
                        help="external store: largest size (auto), every size, or none")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench", help="where the corpora are built")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the CSV files go")
    args = parser.parse_args()
    quick = args.quick
    sizes = (args.sizes or ("real,100" if quick else "real,500,5000")).split(",")
    repeat = args.repeat or (3 if quick else 5)
    naive_timeout = args.naive_timeout or (120.0 if quick else 600.0)
    build_timeout = args.build_timeout or (600.0 if quick else 3600.0)
    validate_timeout = args.validate_timeout or (600.0 if quick else 3600.0)
    virtuoso = args.virtuoso or ("none" if quick else "auto")
    args.work.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    log(f"scale benchmarks: sizes {sizes}, years {args.years}; {meta['machine']}, load {meta['load']}")

    stage_rows: list[dict] = []
    build_rows: list[dict] = []
    query_rows: list[dict] = []
    naive_failed = False
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    roots: dict[str, Path] = {}
    quads_of: dict[str, int] = {}
    for size in sizes:
        log(f"== {size}")
        root, facts = prepare(size, args.years, args.seed, args.work)
        roots[size] = root
        out_json = args.work / f"stages-{size}.json"
        kept = root / "var" / "bench-kg"
        run = timed([sys.executable, str(ROOT / "benchmarks" / "stages.py"), "--root", str(root), "--json",
                     str(out_json), "--repeat", str(repeat), "--validate-timeout", str(validate_timeout),
                     "--keep-kg", str(kept)], env=env, stderr_path=args.work / f"stages-{size}.log")
        if run["returncode"] != 0:
            raise SystemExit(f"stages failed for {size}: see {args.work / f'stages-{size}.log'}")
        result = json.loads(out_json.read_text(encoding="utf-8"))
        quads_of[size] = result["quads"]
        common = {"size": size, **facts, "documents": result["documents"], "lines": result["lines"],
                  "quads": result["quads"]}
        if facts.get("synth_s") != "":
            stage_rows.append({**common, "stage": "synth", "wall_s": facts["synth_s"],
                               "peak_rss_mb": facts.get("synth_rss_mb", ""), "status": "ok",
                               "detail": "stikg synth (separate process)"})
        for row in result["stages"]:
            stage_rows.append({**common, **row})
            log(f"  {row['stage']:<10} {row['wall_s']:8.2f} s {row['peak_rss_mb']:8.0f} MB  {row['status']}  {row['detail']}")
        for q in result["queries"]:
            query_rows.append({"size": size, "quads": result["quads"], "backend": "oxigraph (embedded)", **q,
                               "status": "ok"})

        # full build, cold cache
        shutil.rmtree(root / "var" / "cache", ignore_errors=True)
        shutil.rmtree(root / "kg", ignore_errors=True)
        build = timed([sys.executable, "-m", "stikg.cli", "build", "--root", str(root), "--quiet"], env=env,
                      timeout=build_timeout, stderr_path=args.work / f"build-{size}.log")
        status = "ok" if build["finished"] and build["returncode"] == 0 else (
            f"did not finish in {build_timeout:.0f} s" if not build["finished"] else f"exit {build['returncode']}")
        build_rows.append({"size": size, "quads": result["quads"], "pipeline": "stikg build (cold cache)",
                           "wall_s": build["wall_s"], "peak_rss_mb": build["peak_rss_mb"],
                           "peak_tree_mb": build["peak_tree_mb"], "status": status})
        log(f"  build      {build['wall_s']:8.1f} s {build['peak_rss_mb']:8.0f} MB {build['peak_tree_mb']:8.0f} MB  {status}")
        if status == "ok":
            doc, old = change_one_document(root)
            rebuild = timed([sys.executable, "-m", "stikg.cli", "build", "--root", str(root), "--quiet"], env=env,
                            timeout=build_timeout, stderr_path=args.work / f"rebuild-{size}.log")
            doc.write_bytes(old)
            rstatus = "ok" if rebuild["finished"] and rebuild["returncode"] == 0 else (
                f"did not finish in {build_timeout:.0f} s" if not rebuild["finished"] else f"exit {rebuild['returncode']}")
            build_rows.append({"size": size, "quads": result["quads"], "pipeline": f"rebuild, one document changed ({doc.name})",
                               "wall_s": rebuild["wall_s"], "peak_rss_mb": rebuild["peak_rss_mb"],
                               "peak_tree_mb": rebuild["peak_tree_mb"], "status": rstatus})
            log(f"  rebuild    {rebuild['wall_s']:8.1f} s {rebuild['peak_rss_mb']:8.0f} MB  {rstatus}")

        # naive baseline, time-boxed
        if naive_failed:
            build_rows.append({"size": size, "quads": result["quads"], "pipeline": "naive (rdflib + owlrl + pyshacl)",
                               "wall_s": "", "peak_rss_mb": "", "status": "skipped: did not finish at a smaller size"})
        else:
            naive = timed([sys.executable, str(ROOT / "benchmarks" / "naive.py"), "--root", str(root)], env=env,
                          timeout=naive_timeout, stderr_path=args.work / f"naive-{size}.log")
            if naive["finished"] and naive["returncode"] == 0:
                nstatus = "ok"
            else:
                naive_failed = True
                progress = (args.work / f"naive-{size}.log").read_text(encoding="utf-8", errors="replace").strip()
                last = progress.splitlines()[-1] if progress else "no stage finished"
                nstatus = (f"did not finish in {naive_timeout:.0f} s (last finished: {last})" if not naive["finished"]
                           else f"exit {naive['returncode']}")
            build_rows.append({"size": size, "quads": result["quads"], "pipeline": "naive (rdflib + owlrl + pyshacl)",
                               "wall_s": naive["wall_s"] if naive["finished"] else "", "peak_rss_mb": naive["peak_rss_mb"],
                               "peak_tree_mb": naive["peak_tree_mb"], "status": nstatus})
            log(f"  naive      {naive['wall_s']:8.1f} s {naive['peak_rss_mb']:8.0f} MB  {nstatus}")
        write_all(args.results, meta, stage_rows, build_rows, query_rows)

    # external store
    targets = {"none": [], "auto": sizes[-1:], "all": sizes}[virtuoso]
    if targets and shutil.which("virtuoso-t") is None:
        log("virtuoso-t is not installed (apt-get install virtuoso-opensource): external store skipped")
        targets = []
    for size in targets:
        root = roots[size]
        dataset = root / "kg" / "dataset.nq"
        if not dataset.is_file():
            dataset = root / "var" / "bench-kg" / "dataset.nq"
        log(f"== virtuoso, {size} ({dataset})")
        with tempfile.TemporaryDirectory(prefix="stikg-virtuoso-", dir=args.work) as tmp:
            rows, info = bench_virtuoso(root, dataset, repeat, Path(tmp))
        build_rows.append({"size": size, "quads": quads_of[size], "pipeline": "stikg push → Virtuoso",
                           "wall_s": info.get("push_s", ""), "peak_rss_mb": "",
                           "status": "ok: " + info.get("push_out", "") if info.get("push_ok") else "failed"})
        if "cli_query_s" in info:
            build_rows.append({"size": size, "quads": quads_of[size],
                               "pipeline": "stikg query program_amounts --endpoint (Virtuoso, CLI process)",
                               "wall_s": info["cli_query_s"], "peak_rss_mb": "",
                               "status": f"ok: {info['cli_query_rows']} rows" if info["cli_query_ok"] else "failed"})
        for q in rows:
            query_rows.append({"size": size, "quads": quads_of[size], **q})
        write_all(args.results, meta, stage_rows, build_rows, query_rows)

    report_targets(build_rows, stage_rows)
    return 0


def write_all(results: Path, meta: dict, stage_rows: list[dict], build_rows: list[dict], query_rows: list[dict]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    write_csv(results / "scale_stages.csv", stage_rows,
              ["size", "programs", "years", "documents", "lines", "quads", "stage", "wall_s", "peak_rss_mb",
               "peak_tree_mb", "status", "detail"])
    write_csv(results / "scale_build.csv", build_rows,
              ["size", "quads", "pipeline", "wall_s", "peak_rss_mb", "peak_tree_mb", "status"])
    write_csv(results / "scale_queries.csv", query_rows, ["size", "quads", "backend", "query", "median_ms", "rows",
                                                          "status"])
    growth = growth_rows(stage_rows)
    write_csv(results / "scale_growth.csv", growth,
              ["stage", "from", "to", "quads_ratio", "time_ratio", "rss_ratio", "exponent"])
    from stikg.core import atomic

    atomic.write_text(results / "scale_summary.md", summary_md(meta, stage_rows, build_rows, query_rows, growth))


def report_targets(build_rows: list[dict], stage_rows: list[dict]) -> None:
    """Print the targets of the issue against what was measured (never a made-up figure)."""
    builds = [r for r in build_rows if r["pipeline"].startswith("stikg build") and r["status"] == "ok"]
    naive = {r["size"]: r for r in build_rows if r["pipeline"].startswith("naive")}
    if builds:
        big = max(builds, key=lambda r: r["quads"])
        memory = max(big["peak_rss_mb"], big.get("peak_tree_mb") or 0)
        ok = big["wall_s"] <= BUILD_TARGET_S and memory <= BUILD_TARGET_RSS_MB
        log(f"target build ≤ {BUILD_TARGET_S:.0f} s and ≤ 4 GB at {big['quads']:,} quads: "
            f"{big['wall_s']} s, {memory:.0f} MB (largest process or whole process tree) → {'met' if ok else 'NOT met'}")
    else:
        failed = [r for r in build_rows if r["pipeline"].startswith("stikg build")]
        if failed:
            log(f"target build: {failed[-1]['status']} at {failed[-1]['quads']:,} quads → NOT met")
    finished = [(r["size"], r) for r in naive.values() if r["status"] == "ok"]
    if finished:
        size, nrow = max(finished, key=lambda x: x[1]["quads"])
        ours = next((r for r in builds if r["size"] == size), None)
        if ours:
            speedup = nrow["wall_s"] / ours["wall_s"]
            log(f"naive vs stikg build at {size} ({nrow['quads']:,} quads, the largest size the naive pipeline "
                f"finished): {nrow['wall_s']} s vs {ours['wall_s']} s = {speedup:.1f}× "
                f"({'met' if speedup >= SPEEDUP_TARGET else 'NOT met'}, target {SPEEDUP_TARGET:.0f}×)")
    for r in naive.values():
        if r["status"] != "ok":
            log(f"naive at {r['size']}: {r['status']}")


if __name__ == "__main__":
    sys.exit(main())
