"""The table and the plot of bench/run-all.sh.

    python bench/report.py RESULTS.jsonl OUTDIR "liblxd built from ..."

Reads every JSON line of the rounds (bench/README.md, "One bench command"),
prints one Markdown table of medians over the rounds with the ratios that
issue 14's targets are stated in, and draws OUTDIR/latency.png: the per-call
latencies of each workload and client.
"""
import json
import os
import re
import statistics
import sys
from collections import defaultdict

CLIENTS = ["liblxd", "go-official", "floor", "pylxd", "lxc"]
SHORT = {"go-official": "Go client"}
MB = os.environ.get("FILE_MB", "32")
LISTED = int(os.environ.get("N_SCALE", "1000")) + int(os.environ.get("N_LIST", "30")) + 1
WORKLOADS = [
    ("unix", "get_instance", "get one instance"),
    ("unix", "list_and_read_config", f"list {os.environ.get('N_LIST', '30')} + read config"),
    ("unix", "exec_true", "exec `true`"),
    ("unix", "set_config_update", "get + set config + save(wait)"),
    ("unix", "file_push", f"push {MB} MiB"),
    ("unix", "file_pull", f"pull {MB} MiB"),
    ("unix", "lifecycle", "create+start+exec+stop+delete, 1 thread"),
    ("unix", f"lifecycle_{os.environ.get('LIFE_THREADS', '4')}threads",
     f"create+start+exec+stop+delete, {os.environ.get('LIFE_THREADS', '4')} threads"),
    ("https", "get_instance", "HTTPS: get one instance"),
    ("https", "exec_true", "HTTPS: exec `true`"),
    ("scale", "list_and_read_config", "list all {listed} instances + read 30 configs"),
]


def norm(name):
    """Go's workload names carry their counts: get_instance x300, file_push_32MiB."""
    name = name.split(" ")[0]
    return re.sub(r"_\d+(MiB)?(?=_|$)", "", name)


def load(path):
    rows = defaultdict(list)  # (mode, workload, client) -> [line per round]
    rss = defaultdict(list)  # (mode, client) -> [peak per process]
    extra = []
    parts = defaultdict(list)  # Go's lifecycle processes per round
    for line in open(path):
        d = json.loads(line)
        client, mode = d.get("client"), d.get("mode", "unix")
        if "peak_rss_kb" in d and "workload" not in d:
            rss[(mode, client)].append(d["peak_rss_kb"])
            continue
        if "workload" not in d:
            continue
        w = norm(d["workload"])
        if w == "lifecycle_threadpart":
            parts[d["round"]].append(d)
            continue
        if mode in ("unix", "https", "scale") and not w.startswith(("ops", "threads", "list_all")):
            rows[(mode, w, client)].append(d)
        else:
            extra.append(d)
    for r, ps in parts.items():  # processes side by side: the slowest one's wall, all CPU
        rows[("unix", f"lifecycle_{len(ps)}threads", "go-official")].append({
            "workload": f"lifecycle_{len(ps)}threads", "n": sum(p["n"] for p in ps), "wall_s": max(p["wall_s"] for p in ps),
            "cpu_s": sum(p["cpu_s"] for p in ps), "round": r,
            # for the plot: each process's mean per lifecycle (its loop is sequential)
            "lat_ms": [p["wall_s"] * 1e3 / p["n"] for p in ps if p["n"]]})
    return rows, rss, extra


def per_call(d):
    calls = 1 if "list" in d.get("workload", "list") else d["n"]
    return d["wall_s"] * 1e3 / calls, (d.get("cpu_s") or 0) * 1e3 / calls


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=2):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def main():
    path, outdir, source = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
    rows, rss, extra = load(path)
    listed = next((f"{d['n']:,}" for d in extra if d["workload"] == "list_all"), f"~{LISTED:,}")
    rounds = max((d.get("round", 1) for v in rows.values() for d in v), default=0)
    out = []
    p = out.append
    p(f"liblxd ({source}); medians of {rounds} interleaved rounds; wall and client CPU "
      "in ms per call (a list, a push, a pull: per workload; the threaded lifecycle: wall / lifecycles)\n")
    p("| workload | " + " | ".join(f"{SHORT.get(c, c)} wall / CPU" for c in CLIENTS)
      + " | liblxd ÷ Go (wall, CPU) | liblxd ÷ floor | wall: ≤ 0.8× Go or ≤ 1.1× floor | CPU: ≤ 0.25× Go |")
    p("|---|" + "---:|" * len(CLIENTS) + "---:|---:|:---:|:---:|")
    for mode, w, label in WORKLOADS:
        figs = {}
        for c in CLIENTS:
            v = rows.get((mode, w, c))
            if v:
                figs[c] = (med(per_call(d)[0] for d in v), med(per_call(d)[1] for d in v))
        if "liblxd" not in figs:
            continue
        lw, lc = figs["liblxd"]
        go, fl = figs.get("go-official"), figs.get("floor")
        cells = [f"{fmt(figs[c][0])} / {fmt(figs[c][1], 3)}" if c in figs else "–" for c in CLIENTS]
        rg = f"{lw / go[0]:.2f}×, {lc / go[1]:.2f}×" if go and go[1] else "–"
        rf = f"{lw / fl[0]:.2f}×" if fl else "–"
        limits = [x for x in ((0.8 * go[0]) if go else None, (1.1 * fl[0]) if fl else None) if x]
        met = "–" if not limits else ("yes" if lw <= max(limits) else "**no**")
        cpu_met = "–" if not (go and go[1]) else ("yes" if lc <= 0.25 * go[1] else "**no**")
        label = label.format(listed=listed)
        p(f"| {label} | " + " | ".join(cells) + f" | {rg} | {rf} | {met} | {cpu_met} |")
    p("")
    def peaks(mode):
        return ", ".join(f"{SHORT.get(c, c)} {int(med(rss[(mode, c)]))}" for c in CLIENTS if rss.get((mode, c)))
    p("Peak RSS of the process (KiB, median over the rounds; every workload of a round in one process): "
      + "; ".join(f"{what}: {peaks(mode)}" for what, mode in (
          ("unix socket", "unix"), ("HTTPS", "https"), (f"listing all {listed} instances", "scale"))
          if peaks(mode)))
    p("")

    # scale and images
    ops = defaultdict(list)
    for d in extra:
        w = d["workload"]
        if w.startswith("ops"):
            ops[w].append(d)
        elif w == "list_all":
            p(f"- **List {d['n']} instances, one request** (liblxd): {d['wall_s'] * 1e3:.0f} ms "
              f"({d['request_s'] * 1e3:.0f} ms the request), CPU {d['cpu_s'] * 1e3:.1f} ms; "
              f"RSS {d['rss_before_kb']} KiB before, {d['rss_with_list_kb']} KiB holding the list: "
              f"**{d['bytes_per_instance']:.0f} bytes per instance**")
        elif w.startswith("threads"):
            p(f"- **{w.replace('threads', '').replace('_gets', '')} threads × {d['n'] // int(w[7:w.index('_')])} "
              f"gets on one client**: {d['gets_per_s']:.0f} gets/s over {d['wall_s']:.1f} s, "
              f"**{d['errors']} errors**, CPU {d['cpu_s'] * 1e6 / d['n']:.0f} µs per get; open fds "
              f"{d['fds_min']}–{d['fds_max']} (after: {d['fds_after']}); RSS after the first 10 % "
              f"{d['rss_first_kb']} KiB, then {d['rss_min_kb']}–{d['rss_max_kb']} KiB")
    for kind in ("create", "delete"):
        by = {how: [d for w, v in ops.items() if f"_{kind}_{how}" in w for d in v]
              for how in ("wait_each", "event_stream")}
        if all(by.values()):
            def desc(v):
                return (f"{med(d['wall_s'] for d in v):.2f} s (of which starting them "
                        f"{med(d['start_s'] for d in v):.2f} s), CPU {med(d['cpu_s'] for d in v) * 1e3:.0f} ms, "
                        f"{sum(d['failed'] for d in v)} failed, {len(v)} batches")
            n = by["wait_each"][0]["n"]
            p(f"- **{n} {kind}s started without waiting, then all waited** (liblxd, median batch): "
              f"one `/wait` each {desc(by['wait_each'])}; one event stream {desc(by['event_stream'])}")
    imgs = defaultdict(lambda: defaultdict(list))
    for d in extra:
        if d["workload"].startswith("image_"):
            imgs[d["workload"]][d["client"]].append(d)
    if imgs:
        p("")
        p("| images and copies (64 MiB; liblxd vs `lxc`, which is LXD's Go client + a process) "
          "| liblxd ms | lxc ms | liblxd ÷ lxc | liblxd RSS KiB | lxc RSS KiB |")
        p("|---|---:|---:|---:|---:|---:|")
        for w, by in imgs.items():
            lw = med(d["wall_s"] * 1e3 for d in by["liblxd"])
            xw = med(d["wall_s"] * 1e3 for d in by["lxc"])
            lr = med(d["peak_rss_kb"] for d in by["liblxd"])
            xr = med(d["peak_rss_kb"] for d in by["lxc"])
            p(f"| {w[6:].replace('_', ' ')} | {fmt(lw)} | {fmt(xw)} | "
              f"{(lw / xw if lw and xw else float('nan')):.2f} | {fmt(lr, 0)} | {fmt(xr, 0)} |")
    print("\n".join(out))
    plot(rows, f"{outdir}/latency.png", rounds, listed)


def plot(rows, png, rounds, listed):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401 (used as matplotlib.ticker)

    panels = [(m, w, label) for m, w, label in WORKLOADS if rows.get((m, w, "liblxd"))]
    cols = 4
    fig, axes = plt.subplots((len(panels) + cols - 1) // cols, cols,
                             figsize=(4.2 * cols, 3.4 * ((len(panels) + cols - 1) // cols)), squeeze=False)
    colors = {"liblxd": "#1f77b4", "go-official": "#2ca02c", "floor": "#7f7f7f", "pylxd": "#d62728", "lxc": "#9467bd"}
    for ax, (mode, w, label) in zip(axes.flat, panels):
        names, data = [], []
        for c in CLIENTS:
            v = rows.get((mode, w, c))
            if not v:
                continue
            lat = [x for d in v for x in d.get("lat_ms", [])]
            if not lat:  # the Go harness times whole loops: the mean per call of each round
                lat = [per_call(d)[0] for d in v]
            names.append(SHORT.get(c, c))
            data.append(lat)
        parts = ax.violinplot(data, showmedians=True, widths=0.8)
        for body, c in zip(parts["bodies"], [c for c in CLIENTS if rows.get((mode, w, c))]):
            body.set_facecolor(colors[c])
            body.set_alpha(0.6)
        for i, lat in enumerate(data, 1):
            ax.scatter([i] * len(lat), lat, s=3, alpha=0.3, color="black")
        ax.set_xticks(range(1, len(names) + 1), names, fontsize=8)
        values = [x for lat in data for x in lat if x > 0]
        if values and max(values) / min(values) < 10:
            ax.set_ylim(0, max(values) * 1.08)  # within a decade: linear, from zero
        else:
            ax.set_yscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
        if ax.get_yscale() == "log":
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
                lambda v, _: f"{v:g}" if f"{v:g}".lstrip("0.")[:1] in ("2", "5") else ""))
        ax.tick_params(axis="y", which="both", labelsize=7)
        ax.set_title(label.format(listed=listed), fontsize=9)
        ax.set_ylabel("ms per call", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"liblxd beside LXD's Go client, the raw floor, pylxd and lxc: per-call latency\n"
                 f"({rounds} rounds pooled; log scale where a panel spans more than ten times; Go client: its mean per call in each round (per process "
                 "for 4 threads), as its harness times whole loops)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=90)


if __name__ == "__main__":
    main()
