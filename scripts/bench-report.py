#!/usr/bin/env python3
"""Turn the guest's "# bench" lines into tables, JSON, CSV and (with matplotlib) a plot.

Input: RAW has one line per measurement and half, HALF DRIVER WORKLOAD N REPS MEDIAN P10 P90
MIN MAX (microseconds; memory: bytes per mdev) or HALF DRIVER WORKLOAD N failed; SAMPLES has
HALF DRIVER WORKLOAD N V... (every rep's value). A driver's halves are pooled: the tables show
the median, p10 and p90 of all its reps, and the medians of each half in run order. "90% CI"
is a bootstrap confidence interval of ours/C from those reps: the ratio of medians is one
draw, the interval says how far another run of the same length could land from it.
Usage: bench-report.py RAW SAMPLES OUTDIR
With BENCH_CLOCK=icount in the environment the guest's clock counted instructions (one per
ns): times show in microseconds, since equal inputs give equal counts. VFIO_AP_KERNEL names
the kernel variant the guest ran (make bench: "bench").
"""
import csv
import json
import os
import random
import sys
from pathlib import Path

UNITS = {"memory-alloc": "B/mdev", "memory": "B/mdev", "memory-free": "B/mdev",
         "config-driver-per-floor": "% of floor"}
TITLES = {
    "floor": "no-op sysfs write (floor)",
    "floor-end": "the floor again, at the end of each driver's half",
    "pair": "assign+unassign of one adapter, N other mdevs",
    "matrix-writes": "KxK matrix by 2K attribute writes (N = K)",
    "matrix-config": "KxK matrix by one ap_config write (N = K)",
    "hotplug": "hot plug of a domain until the CRYCB has it",
    "config": "host removes an adapter, M attached mdevs, until every CRYCB lost it",
    "config-driver": "the same, drivers' share: from the AP bus's QCI to the last CRYCB update",
    "config-driver-per-floor": "the drivers' share of each rep over the floor timed just before it",
    "memory-alloc": "allocated bytes per mdev, /proc/allocinfo without SLUB page sites (256 mdevs)",
    "memory": "slab growth per mdev (256 mdevs)",
    "memory-free": "MemFree drop per mdev (256 mdevs; also page-sized allocations)",
}
FIELDS = ["reps", "median", "p10", "p90", "min", "max"]
# Not in the verdict: the floor is the same write in both halves (its ratio is the noise
# between them), and Slab/MemFree are page-granular cross-checks of memory-alloc whose
# spread is larger than the difference they would show.
CROSS_CHECKS = ("floor", "floor-end", "memory", "memory-free")
# Resamples for the confidence interval of ours/C; the seed makes a report repeatable.
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 7
# Floors further apart than this (between the halves, or within one) mean TCG ran at
# different speeds: the run's ratios then say more about the guest than about the drivers.
DRIFT = 1.25


def parse(path):
    """The per-half rows, in run order."""
    rows = []
    for line in Path(path).read_text().splitlines():
        w = line.split()
        if len(w) < 5:
            continue
        row = {"half": int(w[0]), "driver": w[1], "workload": w[2], "n": int(w[3])}
        if w[4] == "failed":
            row["failed"] = True
        else:
            row.update({k: float(v) for k, v in zip(FIELDS, w[4:10])})
        rows.append(row)
    return rows


def parse_samples(path):
    """(half, driver, workload, n) -> every rep's value."""
    out = {}
    p = Path(path)
    if not p.exists():
        return out
    for line in p.read_text().splitlines():
        w = line.split()
        if len(w) < 5:
            continue
        out[(int(w[0]), w[1], w[2], int(w[3]))] = [float(v) for v in w[4:]]
    return out


def median(values):
    """The median of VALUES as every statistic here takes it: the upper one of an even count."""
    v = sorted(values)
    return v[len(v) // 2]


def stats(values):
    """The statistics vfio-ap-bench reports, over VALUES (same percentile indices)."""
    v = sorted(values)
    n = len(v)
    return {"reps": n, "median": median(v), "p10": v[n // 10], "p90": v[n - 1 - n // 10],
            "min": v[0], "max": v[-1]}


def ratio_ci(c_values, ours_values, level=0.90):
    """A bootstrap confidence interval of median(ours) / median(C): both drivers' reps
    resampled with replacement, BOOTSTRAP times. None without reps or with a zero median."""
    if not c_values or not ours_values:
        return None
    rng = random.Random(BOOTSTRAP_SEED)
    ratios = []
    for _ in range(BOOTSTRAP):
        c = median(rng.choices(c_values, k=len(c_values)))
        o = median(rng.choices(ours_values, k=len(ours_values)))
        if c <= 0:
            return None
        ratios.append(o / c)
    ratios.sort()
    tail = (1 - level) / 2
    return ratios[int(tail * BOOTSTRAP)], ratios[int((1 - tail) * BOOTSTRAP) - 1]


def drift_ratio(by):
    """How far apart the drivers' halves ran, from the no-op write both time alike: the
    largest of r and 1/r over the floor's ours/C ratios r (1 without a floor)."""
    worst = 1.0
    for w in ("floor", "floor-end"):
        c, o = by.get(("c", w, 0)), by.get(("ours", w, 0))
        if c and o and not c.get("failed") and not o.get("failed") and c["median"] > 0 and o["median"] > 0:
            r = o["median"] / c["median"]
            worst = max(worst, r, 1 / r)
    return worst


def pool(rows, samples):
    """One row per (driver, workload, n) over all its halves."""
    keys = []
    for r in rows:
        k = (r["driver"], r["workload"], r["n"])
        if k not in keys:
            keys.append(k)
    pooled = []
    for k in keys:
        halves = [r for r in rows if (r["driver"], r["workload"], r["n"]) == k]
        row = {"driver": k[0], "workload": k[1], "n": k[2], "halves": [r["half"] for r in halves],
               "half_medians": [r.get("median") for r in halves]}
        if any(r.get("failed") for r in halves):
            row["failed"] = True
        elif len(halves) == 1:
            row.update({f: halves[0][f] for f in FIELDS})
            s = samples.get((halves[0]["half"],) + k)
            if s is not None and len(s) == halves[0]["reps"]:
                row["values"] = s
        else:
            values = []
            for r in halves:
                s = samples.get((r["half"],) + k)
                if s is None or len(s) != r["reps"]:
                    sys.exit(f"bench-report: no samples for half {r['half']} of {k}")
                values += s
            row.update(stats(values))
            row["values"] = values
        pooled.append(row)
    return pooled


ICOUNT = os.environ.get("BENCH_CLOCK") == "icount"
# Time as shown: ms on the wall-clock guest; on the instruction-counting one, whose results
# repeat to the ns, us keep the differences visible.
TIME_UNIT, TIME_DIV, TIME_FMT = ("us", 1, "{:.1f}") if ICOUNT else ("ms", 1000, "{:.2f}")
# The kernel variant the guest ran (scripts/kernel.sh): make bench uses "bench".
KERNEL = os.environ.get("VFIO_AP_KERNEL") or "default"
KERNELS = {"bench": "lock debugging off", "default": "the test kernel, with lockdep",
           "debug": "the sanitizer kernel"}


def fmt(v, unit):
    if unit != "us":
        return f"{v:.0f}"
    return TIME_FMT.format(v / TIME_DIV)


def main():
    raw, samples_path, outdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    halves = parse(raw)
    rows = pool(halves, parse_samples(samples_path))
    by = {(r["driver"], r["workload"], r["n"]): r for r in rows}
    several = any(len(r["halves"]) > 1 for r in rows)
    floor = by.get(("ours", "floor", 0), {}).get("median")
    order = [w for w in TITLES if any(r["workload"] == w for r in rows)]
    above = []
    slower = []
    noise = drift_ratio(by)
    print(f"kernel: {KERNEL}" + (f" ({KERNELS[KERNEL]})" if KERNEL in KERNELS else ""))
    if ICOUNT:
        print("guest clock: icount (1 ns per instruction executed; the host's load does not count)")
    for w in order:
        unit = UNITS.get(w, "us")
        shown = TIME_UNIT if unit == "us" else unit
        print(f"\n{TITLES[w]} [{shown}, median (p10-p90)]")
        print(f"  {'N':>4}  {'C driver':>22}  {'ours':>22}  {'ours/C':>7}  {'90% CI':>11}  {'ours/floor':>10}")
        for n in sorted({r["n"] for r in rows if r["workload"] == w}):
            c, o = by.get(("c", w, n)), by.get(("ours", w, n))

            def cell(r):
                if not r:
                    return "not run"
                if r.get("failed"):
                    return "failed"
                return f"{fmt(r['median'], unit)} ({fmt(r['p10'], unit)}-{fmt(r['p90'], unit)})"

            ratio = of = ci = ""
            if o and o.get("failed") and w not in CROSS_CHECKS:
                above.append(f"{w} N={n} failed")
            if c and o and not c.get("failed") and not o.get("failed") and c["median"] > 0 and o["median"] >= 0:
                ratio = f"{o['median'] / c['median']:.2f}x"
                if unit == "us" and floor:
                    of = f"{o['median'] / floor:.1f}x"
                if o["median"] > c["median"] and w not in CROSS_CHECKS:
                    above.append(f"{w} N={n} {ratio}")
                bounds = ratio_ci(c.get("values"), o.get("values"))
                if bounds:
                    o["ratio_ci90"] = [round(b, 4) for b in bounds]
                    ci = f"{bounds[0]:.2f}-{bounds[1]:.2f}"
                    # A row in units of the floor has the drift divided out already.
                    bound = 1.0 if unit == "% of floor" else noise
                    if bounds[0] > bound and w not in CROSS_CHECKS:
                        slower.append(f"{w} N={n} ({ratio}, 90% CI {ci})")
            print(f"  {n:>4}  {cell(c):>22}  {cell(o):>22}  {ratio:>7}  {ci:>11}  {of:>10}")
            if several:
                per = [h for h in halves if h["workload"] == w and h["n"] == n]
                print("        halves: " + ", ".join(
                    f"{h['driver']} " + ("failed" if h.get("failed") else fmt(h["median"], unit)) for h in per))
    (outdir / "bench.json").write_text(json.dumps({"unit": "us (memory: bytes per mdev; config-driver-per-floor: percent of the floor)", "floor_us": floor,
                                                   "clock": "icount" if ICOUNT else "wall",
                                                   "kernel": KERNEL,
                                                   "results": [{k: v for k, v in r.items() if k != "values"} for r in rows],
                                                   "halves": halves}, indent=1) + "\n")
    with open(outdir / "bench.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["half", "driver", "workload", "n"] + FIELDS)
        for r in rows:
            wr.writerow(["all", r["driver"], r["workload"], r["n"]] + [r.get(k, "failed") for k in FIELDS])
        for r in halves:
            wr.writerow([r["half"], r["driver"], r["workload"], r["n"]] + [r.get(k, "failed") for k in FIELDS])
    print("\nours <= C on every workload: " + ("NO: " + ", ".join(above) if above else "yes")
          + f" (not judged: {', '.join(CROSS_CHECKS)})")
    # The medians above are one draw each; this asks whether the reps show ours slower: a
    # 90% bootstrap interval of ours/C wholly above what the same no-op write showed between
    # the drivers' halves (the interval sees the spread within halves, not the drift between).
    print(f"ours slower than C beyond this run's noise (90% CI of ours/C above {noise:.2f}, the floor's "
          "ratio between the drivers' halves): " + ("; ".join(slower) if slower else "none"))
    floors = [h["median"] for h in halves if h["workload"] in ("floor", "floor-end") and not h.get("failed")]
    if floors and max(floors) > DRIFT * min(floors):
        head = f"warning: the floor ranged from {fmt(min(floors), 'us')} to {fmt(max(floors), 'us')} {TIME_UNIT} in this run: "
        if ICOUNT:
            print(head + "on the instruction clock that means the guest did other work around the same write")
        else:
            print(head + "TCG's speed drifted" + ("; the halves are mirrored, so a steady drift weighs on both drivers alike"
                                                  if several else ", compare with another run (e.g. BENCH_ORDER='ours c')"))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: no plot)")
        return
    panels = (("pair", "N other mdevs"), ("config", "M attached mdevs"), ("config-driver", "M attached mdevs"))
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4))
    for ax, (w, label) in zip(axes, panels):
        for d, style in (("c", "o-"), ("ours", "s-")):
            pts = sorted((r["n"], r) for r in rows if r["workload"] == w and r["driver"] == d and not r.get("failed"))
            if not pts:
                continue
            xs = [n for n, _ in pts]
            ys = [r["median"] / 1000 for _, r in pts]
            lo = [(r["median"] - r["p10"]) / 1000 for _, r in pts]
            hi = [(r["p90"] - r["median"]) / 1000 for _, r in pts]
            ax.errorbar(xs, ys, yerr=[lo, hi], fmt=style, capsize=3, label="C driver" if d == "c" else "vfio-ap-rs")
        if floor:
            ax.axhline(floor / 1000, color="grey", linestyle=":", label="no-op write")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.set_ylabel(("ms of icount guest clock" if ICOUNT else "ms") + " (median, p10-p90)")
        ax.set_title(TITLES[w], fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "bench.png", dpi=100)
    print(f"plot: {outdir / 'bench.png'}")


if __name__ == "__main__":
    main()
