"""Turn bench/run.py's results into the figures of docs/PERFORMANCE.md and a latency plot.

    .venv/bin/python -m bench.report bench/results/latest.json

Rewrites only the parts of docs/PERFORMANCE.md between `<!-- bench:NAME -->` and
`<!-- /bench:NAME -->` markers (the machine, the page table, the four target ratios), so the
explanations around them stay as written; draws docs/performance-latency.png.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "PERFORMANCE.md"
PLOT = ROOT / "docs" / "performance-latency.png"
BARE, TEMPLATE, FRAME = "floor: bare view", "floor: 50-row template", "floor: signed-in frame"
# Targets of issue 7, as ratios measured in the same run.
PAGE_TO_TEMPLATE_FLOOR = 2.0
LARGE_TO_SMALL = 1.3
FLAGS_TO_SQL = 3.0
SMTPLIB_TO_WORKER = 2.0
# Targets of issue 15 for the full patient export: seconds for 1,000,000 patients, and how
# far the serving process's RSS may move between before and after the export.
EXPORT_SECONDS_PER_MILLION = 60.0
EXPORT_RSS_GROWTH_MB = 20.0
# The rest of issue 15's targets.
FRAME_TO_TEMPLATE_FLOOR = 1.2
WEB_WORKER_RSS_MB = 150.0
CELERY_RSS_CHANGE = 0.10
TWO_WORKERS_TO_ONE = 1.7
# Our page beside the Django admin's changelist of the same patients, same question.
BESIDE_ADMIN = {
    "patient list: search": "admin changelist: search",
    "patient list: first page": "admin changelist: first page",
}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def page_stats(pages: dict) -> dict:
    """(size, page) -> count, rps, p50, p95, p99 and the median of each round's median."""
    stats = {}
    for key, samples in pages["samples"].items():
        size, name = key.split("|", 1)
        times = sorted(ms for _, ms in samples)
        rounds: dict[int, list[float]] = {}
        for round_, ms in samples:
            rounds.setdefault(round_, []).append(ms)
        stats[size, name] = {
            "count": len(times),
            "rps": len(times) / pages["active_seconds"][key],
            "p50": statistics.median(times),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
            "round_medians": [statistics.median(v) for _, v in sorted(rounds.items())],
        }
    return stats


def patients_in(size: str) -> float:
    """ "1k" -> 1000, "1m" -> 1000000, "200" -> 200 (the labels bench/run.py gives sizes)."""
    factor = {"k": 1000, "m": 1_000_000}.get(size[-1:])
    return float(size[:-1]) * factor if factor else float(size)


def sizes_of(stats: dict) -> list[str]:
    return sorted({size for size, _ in stats}, key=patients_in)


def names_of(stats: dict) -> list[str]:
    from bench.load import PAGES

    present = {name for _, name in stats}
    return [page.name for page in PAGES if page.name in present]


def pages_table(stats: dict) -> str:
    sizes = sizes_of(stats)
    small, large = sizes[0], sizes[-1]
    header = (
        "| page | size | req/s | p50 ms | p95 ms | p99 ms | p50 / template floor |"
        f" p50 {large} / {small} |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for name in names_of(stats):
        for size in sizes:
            row = stats.get((size, name))
            if row is None:
                continue
            floor = stats[size, TEMPLATE]["p50"]
            growth = ""
            if size == large and (small, name) in stats:
                growth = f"{row['p50'] / stats[small, name]['p50']:.2f}"
            lines.append(
                f"| {name} | {size} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | "
                f"{row['p99']:.1f} | {row['p50'] / floor:.1f} | {growth} |"
            )
    return "\n".join(lines)


def ratios(results: dict) -> dict:
    """The four ratios of issue 7, each with the worst case and whether it meets its target."""
    out = {}
    if "pages" in results:
        stats = page_stats(results["pages"])
        sizes = sizes_of(stats)
        small, large = sizes[0], sizes[-1]
        real = [n for n in names_of(stats) if not n.startswith("floor:")]
        to_floor = {
            (size, n): stats[size, n]["p50"] / stats[size, TEMPLATE]["p50"]
            for size in sizes
            for n in real
            if (size, n) in stats
        }
        worst = max(to_floor, key=to_floor.get)
        out["page / template floor"] = {
            "worst": to_floor[worst],
            "where": f"{worst[1]} at {worst[0]}",
            "target": PAGE_TO_TEMPLATE_FLOOR,
            "missed": sorted(
                (f"{n} at {s}: {r:.1f}" for (s, n), r in to_floor.items() if r > 2.0),
            ),
            "template_floor_to_bare": stats[small, TEMPLATE]["p50"] / stats[small, BARE]["p50"],
            "frame_to_template": (
                stats[small, FRAME]["p50"] / stats[small, TEMPLATE]["p50"]
                if (small, FRAME) in stats
                else None
            ),
        }
        growth = {
            n: stats[large, n]["p50"] / stats[small, n]["p50"]
            for n in real
            if (large, n) in stats and (small, n) in stats
        }
        if growth and large != small:
            worst_growth = max(growth, key=growth.get)
            out[f"{large} / {small}"] = {
                "worst": growth[worst_growth],
                "where": worst_growth,
                "target": LARGE_TO_SMALL,
                "missed": sorted(f"{n}: {r:.2f}" for n, r in growth.items() if r > LARGE_TO_SMALL),
            }
    if "flags" in results:
        flags = results["flags"]
        out["flag_courses / hand-written SQL"] = {
            "worst": flags["first_ms"] / flags["floor_ms"],
            "where": f"{flags['courses']:,} courses, {flags['raised']:,} flags raised",
            "target": FLAGS_TO_SQL,
            "missed": [],
        }
    if "reminders" in results:
        rem = results["reminders"]
        out["smtplib / worker"] = {
            "worst": rem["floor_rate"] / rem["worker_rate"],
            "where": f"{rem['worker_rate']:.0f}/s against {rem['floor_rate']:.0f}/s",
            "target": SMTPLIB_TO_WORKER,
            "missed": [],
        }
    return out


def exports_table(exports: dict) -> str:
    """The full patient export at each size (bench/export.py), against issue 15's targets."""
    lines = [
        "| size | rows | MB sent | seconds | first byte s | rows/s | s per 1M rows "
        f"(≤ {EXPORT_SECONDS_PER_MILLION:g}) | worker RSS before / peak / after MB | "
        f"after − before MB (≤ {EXPORT_RSS_GROWTH_MB:g}) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted(exports, key=patients_in):
        e = exports[size]
        per_million = 1e6 / e["rows_per_second"]
        lines.append(
            f"| {size} | {e['rows']:,} | {e['bytes'] / 1e6:.1f} | {e['seconds']:.2f} | "
            f"{e['first_byte_seconds']:.2f} | {e['rows_per_second']:,.0f} | {per_million:.1f} | "
            f"{e['rss_before_mb']:.1f} / {e['rss_peak_mb']:.1f} / {e['rss_after_mb']:.1f} | "
            f"{e['rss_growth_mb']:+.1f} |"
        )
    return "\n".join(lines) + (
        "\n\n“s per 1M rows” is the measured rate carried to 1,000,000 patients; the run itself "
        "exports each size once, after the page load, on the worker that load warmed."
    )


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else ("yes" if ok else "**no**")


def targets_table(results: dict) -> str:
    """Issue 15's targets, each with its figure from this run and whether it is met."""
    rows = []
    stats = page_stats(results["pages"]) if "pages" in results else {}
    sizes = sizes_of(stats) if stats else []
    if sizes:
        small, large = sizes[0], sizes[-1]
        real = [n for n in names_of(stats) if not n.startswith("floor:")]
        to_floor = {n: stats[small, n]["p50"] / stats[small, TEMPLATE]["p50"] for n in real}
        worst = max(to_floor, key=to_floor.get)
        rows.append(
            (
                f"every page p50 ≤ {PAGE_TO_TEMPLATE_FLOOR:g}× the template floor at {small}",
                f"worst {to_floor[worst]:.1f} ({worst}); "
                f"{sum(r <= PAGE_TO_TEMPLATE_FLOOR for r in to_floor.values())} of "
                f"{len(to_floor)} pages meet it",
                to_floor[worst] <= PAGE_TO_TEMPLATE_FLOOR,
            )
        )
        if large != small:
            growth = {
                n: stats[large, n]["p50"] / stats[small, n]["p50"]
                for n in real
                if (large, n) in stats and (small, n) in stats
            }
            worst = max(growth, key=growth.get)
            rows.append(
                (
                    f"every page p50 at {large} ≤ {LARGE_TO_SMALL:g}× the same page at {small}",
                    f"worst {growth[worst]:.2f} ({worst}); "
                    f"{sum(r <= LARGE_TO_SMALL for r in growth.values())} of {len(growth)} meet it",
                    growth[worst] <= LARGE_TO_SMALL,
                )
            )
        if (small, FRAME) in stats:
            frame = stats[small, FRAME]["p50"] / stats[small, TEMPLATE]["p50"]
            rows.append(
                (
                    f"signed-in frame ≤ {FRAME_TO_TEMPLATE_FLOOR:g}× the template floor",
                    f"{frame:.2f} at {small}",
                    frame <= FRAME_TO_TEMPLATE_FLOOR,
                )
            )
        for ours, theirs in BESIDE_ADMIN.items():
            pairs = [
                (size, stats[size, ours]["p50"], stats[size, theirs]["p50"])
                for size in sizes
                if (size, ours) in stats and (size, theirs) in stats
            ]
            if pairs:
                rows.append(
                    (
                        f"{ours} faster than the admin's changelist at every size",
                        "; ".join(f"{s}: {a:.1f} ms against {b:.1f} ms" for s, a, b in pairs),
                        all(a < b for _s, a, b in pairs),
                    )
                )
    exports = results.get("exports", {})
    if exports:
        largest = max(exports, key=patients_in)
        e = exports[largest]
        per_million = 1e6 / e["rows_per_second"]
        rows.append(
            (
                f"full patient export ≤ {EXPORT_SECONDS_PER_MILLION:g} s per 1,000,000 rows, "
                f"worker RSS within {EXPORT_RSS_GROWTH_MB:g} MB",
                f"{per_million:.1f} s per million at {largest} ({e['seconds']:.1f} s for "
                f"{e['rows']:,}); RSS {e['rss_growth_mb']:+.1f} MB",
                per_million <= EXPORT_SECONDS_PER_MILLION
                and abs(e["rss_growth_mb"]) <= EXPORT_RSS_GROWTH_MB,
            )
        )
        loaded = e.get("workers_rss_after_load_mb")
        if loaded:
            rows.append(
                (
                    f"a web worker ≤ {WEB_WORKER_RSS_MB:g} MB RSS after the load at {largest}",
                    " and ".join(f"{mb:.0f} MB" for mb in loaded),
                    max(loaded) <= WEB_WORKER_RSS_MB,
                )
            )
    if "flags" in results:
        f = results["flags"]
        ratio = f["first_ms"] / f["floor_ms"]
        rows.append(
            (
                f"flag_courses ≤ {FLAGS_TO_SQL:g}× one hand-written statement",
                f"{ratio:.2f} at {f['courses']:,} courses",
                ratio <= FLAGS_TO_SQL,
            )
        )
    if "reminders" in results:
        r = results["reminders"]
        before, after = r.get("rss_before_mb"), r.get("rss_after_mb")
        change = None if before is None else (after - before) / before
        rows.append(
            (
                f"a Celery worker's RSS within ±{CELERY_RSS_CHANGE:.0%} across "
                f"{r['reminders']:,} reminders",
                "—" if change is None else f"{before:.1f} → {after:.1f} MB ({change:+.1%})",
                None if change is None else abs(change) <= CELERY_RSS_CHANGE,
            )
        )
        two = r.get("two_worker_rate")
        scale = None if two is None else two / r["worker_rate"]
        rows.append(
            (
                f"2 worker processes ≥ {TWO_WORKERS_TO_ONE:g}× the rate of 1",
                "—"
                if two is None
                else f"{scale:.2f} ({two:,.0f}/s against {r['worker_rate']:,.0f}/s)",
                None if scale is None else scale >= TWO_WORKERS_TO_ONE,
            )
        )
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {figure} | {_met(ok)} |" for target, figure, ok in rows]
    return "\n".join(lines)


def ratios_table(found: dict) -> str:
    lines = ["| target | measured (worst case) | where | met |", "|---|---|---|---|"]
    for name, r in found.items():
        met = "yes" if r["worst"] <= r["target"] else f"no, {r['worst'] / r['target']:.1f}x over"
        lines.append(f"| {name} ≤ {r['target']} | {r['worst']:.2f} | {r['where']} | {met} |")
    return "\n".join(lines)


def machine() -> str:
    def first_line(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.split(
                "\n"
            )[0]
        except OSError:
            return "unknown"

    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with open("/proc/meminfo") as handle:
        memory = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} memory, {platform.platform()}, "
        f"Python {platform.python_version()}, {first_line(['psql', '--version'])}, "
        f"{first_line(['redis-server', '--version']).split(' sha=')[0]}"
    )


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"docs/PERFORMANCE.md has no <!-- bench:{name} --> block")
    return pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text)


def plot(stats: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes, names = sizes_of(stats), names_of(stats)
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(names) + 1.6), dpi=110)
    height = 0.8 / len(sizes)
    colours = ["#4c78a8", "#f58518", "#54a24b"]
    for i, size in enumerate(sizes):
        y = [k + i * height for k in range(len(names))]
        p50 = [stats.get((size, n), {}).get("p50", 0) for n in names]
        p95 = [stats.get((size, n), {}).get("p95", 0) for n in names]
        ax.barh(y, p95, height=height, color=colours[i], alpha=0.3)
        ax.barh(y, p50, height=height, color=colours[i], label=f"{size} patients (p50; pale: p95)")
    ax.set_yticks([k + height * (len(sizes) - 1) / 2 for k in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("latency under load, ms (log scale)")
    ax.set_title("Page latency at each data size, same run, interleaved rounds")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=len(sizes), frameon=False)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(results: dict) -> None:
    text = DOC.read_text()
    text = replace_block(text, "machine", f"{machine()}; run started {results['started']}.")
    if "pages" in results:
        pages = results["pages"]
        stats = page_stats(pages)
        text = replace_block(
            text,
            "pages",
            f"{pages['users']} simulated users, {pages['rounds']} rounds of "
            f"{pages['seconds']:g} s per page and size; {pages['failure_count']} failed "
            "requests.\n\n" + pages_table(stats),
        )
        plot(stats, PLOT)
    found = ratios(results)
    body = ratios_table(found)
    for name, r in found.items():
        if r["missed"]:
            body += f"\n\nOver target for {name}: " + "; ".join(r["missed"]) + "."
    if "page / template floor" in found:
        floors = found["page / template floor"]
        body += (
            "\n\nThe template floor itself costs "
            f"{floors['template_floor_to_bare']:.1f} times the bare view"
        )
        if floors["frame_to_template"] is not None:
            body += (
                "; an empty signed-in page (the frame floor) costs "
                f"{floors['frame_to_template']:.1f} times the template floor"
            )
        body += "."
    text = replace_block(text, "ratios", body)
    if "<!-- bench:targets -->" in text:
        text = replace_block(text, "targets", targets_table(results))
    if "flags" in results:
        f = results["flags"]
        text = replace_block(
            text,
            "flags",
            "| measure | value |\n|---|---|\n"
            f"| courses | {f['courses']:,} |\n| flags raised | {f['raised']:,} |\n"
            f"| SQL statements of flag_courses | {f['statements']} |\n"
            f"| flag_courses, first run (median of {f['repeat']}) | {f['first_ms']:,.0f} ms |\n"
            f"| flag_courses, second run, nothing new | {f['second_ms']:,.0f} ms |\n"
            f"| hand-written SQL, same flags into the same table | {f['floor_ms']:,.0f} ms |\n"
            f"| ratio | {f['first_ms'] / f['floor_ms']:.2f} |",
        )
    if "reminders" in results:
        r = results["reminders"]
        text = replace_block(
            text,
            "reminders",
            "| measure | value |\n|---|---|\n"
            f"| reminders | {r['reminders']:,} (median of {r['repeat']}) |\n"
            f"| one worker process | {r['worker_rate']:,.0f} reminders/s |\n"
            f"| plain smtplib, one connection, each message built as sent | "
            f"{r['floor_rate']:,.0f} messages/s |\n"
            f"| smtplib / worker (the target) | {r['floor_rate'] / r['worker_rate']:.2f} |\n"
            f"| the wire alone: smtplib with the bytes made beforehand | "
            f"{r['wire_rate']:,.0f} messages/s |\n"
            f"| wire / worker | {r['wire_rate'] / r['worker_rate']:.2f} |",
        )
    if "outcome_counts" in results and "<!-- bench:outcome-counts -->" in text:
        rows = ["| size | courses counted | rows written | time |", "|---|---|---|---|"]
        for size, build in results["outcome_counts"].items():
            rows.append(
                f"| {size} | {build['courses']:,} | {build['rows']:,} | {build['seconds']:.2f} s |"
            )
        text = replace_block(text, "outcome-counts", "\n".join(rows))
    if "exports" in results:
        if "<!-- bench:exports -->" in text:
            text = replace_block(text, "exports", exports_table(results["exports"]))
        else:
            print(
                "docs/PERFORMANCE.md has no <!-- bench:exports --> block: the export's figures "
                "are only in the results file\n" + exports_table(results["exports"]),
                file=sys.stderr,
            )
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    write(json.loads(Path(sys.argv[1]).read_text()))
