#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/path-cost.sh: where the wall clock goes on the config path of each driver.

    path-cost-report.py wall STAMPS RESULTS SYMS
    path-cost-report.py pages WINDOWS RESULTS SYSTEM_MAP BASE
    path-cost-report.py step WINDOWS RESULTS SYSTEM_MAP BASE

RESULTS is the guest's results.txt of the run: its "diag config" lines (one per rep, from
vfio-ap-bench with BENCH_DIAG=1) and "ok N half N, the DRIVER driver" lines say which driver
ran which rep. SYMS has "NAME HEXADDR" lines for the stamped kernel functions.

Every rep of the config workload is two host configuration changes, the removal that is timed
and the re-adding, and the AP bus tells the drivers of each (__drv_notify_config_changed, once
per AP driver, then __drv_notify_scan_complete once the scan is done). The timed removal is the
change during which a guest's CRYCB is updated (kvm_arch_crypto_set_masks) before the scan
completes; the change after it is its re-adding, and changes while no guest is attached (the
half's set-up) update none.
"""
import importlib.util
import os
import re
import statistics
import sys

ROLE = {
    "ap_scan_bus": "scan",
    "__drv_notify_config_changed": "notify",
    "kvm_arch_crypto_set_masks": "crycb",
    "__drv_notify_scan_complete": "done",
}
# A rep ran in TCG's fast mode if the floor before it is below this many times the run's
# lowest floor (the two modes differ about twofold, see Documentation/performance.rst).
FAST_MODE = 1.5


def guest_reps(results):
    """[(driver, m, rep, floor_us, share_us)] in run order."""
    reps, pending = [], []
    with open(results, errors="replace") as f:
        for line in f:
            m = re.match(r"diag config m (\d+) rep (\d+) cpu \d+ \d+ floor ([\d.]+) share ([\d.]+)",
                         line)
            if m:
                pending.append((int(m[1]), int(m[2]), float(m[3]), float(m[4])))
            m = re.match(r"ok \d+ half \d+, the (\w+) driver", line)
            if m:
                reps += [(m[1],) + p for p in pending]
                pending = []
    return reps


def removals(changes, crycb_before_done):
    """The timed removals among CHANGES (in order): see the module's documentation."""
    out, expect_removal = [], True
    for change in changes:
        if not expect_removal:
            expect_removal = True  # the re-adding of the last removal
        elif crycb_before_done(change):
            out.append(change)
            expect_removal = False
    return out


def median(v):
    return statistics.median(v) if v else float("nan")


def report_wall(stamps_path, results, syms_path):
    role = {}
    with open(syms_path) as f:
        for line in f:
            name, addr = line.split()
            role[int(addr, 16)] = ROLE[name]
    stamps = []
    with open(stamps_path) as f:
        for line in f:
            _vcpu, _host, ns, pc = line.split()
            stamps.append((int(ns), role[int(pc, 16)]))
    stamps.sort()
    # One change: from a scan's start to the next scan's start, if the bus notified drivers.
    starts = [i for i, (_, r) in enumerate(stamps) if r == "scan"] + [len(stamps)]
    changes = []
    for a, b in zip(starts, starts[1:]):
        part = stamps[a:b]
        notify = [t for t, r in part if r == "notify"]
        done = [t for t, r in part if r == "done"]
        if notify and done:
            crycbs = [t for t, r in part if r == "crycb" and notify[-1] < t < done[0]]
            changes.append((part[0][0], notify[-1], crycbs))
    timed = removals(changes, lambda c: bool(c[2]))
    reps = guest_reps(results)
    if len(timed) != len(reps):
        sys.exit("path-cost-report: %d removals in the stamps, %d reps in the guest's log"
                 % (len(timed), len(reps)))
    rows = []
    for (scan, notify, crycbs), (driver, m, rep, floor, share) in zip(timed, reps):
        if len(crycbs) != m:
            sys.exit("path-cost-report: %s rep %d at M = %d updated %d CRYCBs"
                     % (driver, rep, m, len(crycbs)))
        steps = [(b - a) / 1e3 for a, b in zip(crycbs, crycbs[1:])]
        nan = float("nan")
        rows.append((driver, m, rep, floor, share, (notify - scan) / 1e3,
                     (crycbs[0] - notify) / 1e3, statistics.fmean(steps) if steps else nan,
                     steps[0] if steps else nan, median(steps[1:])))
    fast = FAST_MODE * min(r[3] for r in rows)
    print("config path, host wall clock at guest function entries [us, median over reps; "
          "the first rep of each M apart]")
    print("mode: fast = floor before the rep below %.0f us (%.1fx the run's lowest)"
          % (fast, FAST_MODE))
    print("  share: the drivers' share of the rep (guest clock, as make bench); scan: AP bus scan"
          "\n  start to the notify of the last AP driver; to CRYCB: that notify to the first"
          "\n  guest's kvm_arch_crypto_set_masks(); per guest: to each further guest's;"
          "\n  step 1: from the first guest's to the second's; later: the median of the"
          "\n  further steps")
    print("%4s %-5s %9s %17s %15s %15s %15s %15s %15s"
          % ("M", "mode", "reps c/ours", "share c/ours", "scan c/ours", "to CRYCB c/ours",
             "per guest c/ours", "step 1 c/ours", "later c/ours"))
    for m in sorted({r[1] for r in rows}):
        for mode, keep in (("all", lambda f: True), ("fast", lambda f: f < fast),
                           ("slow", lambda f: f >= fast)):
            sel = {d: [r for r in rows if r[0] == d and r[1] == m and r[2] > 0 and keep(r[3])]
                   for d in ("c", "ours")}
            cells = ["%7.1f/%-7.1f" % (median([r[k] for r in sel["c"]]),
                                        median([r[k] for r in sel["ours"]]))
                     for k in (4, 5, 6, 7, 8, 9)]
            print("%4d %-5s %5d/%-5d %17s %15s %15s %15s %15s %15s"
                  % ((m, mode, len(sel["c"]), len(sel["ours"])) + tuple(cells)))
    firsts = ", ".join("%s M=%d %.0f" % (r[0], r[1], r[6]) for r in rows if r[2] == 0)
    print("first rep of each M, notify to first CRYCB (us): %s" % firsts)


def load_insn_report():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("insn_report",
                                                  os.path.join(here, "insn-report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_windows(windows_path):
    """The windows of pagecount's output, each as (ended_by, counts, code, data), grouped
    by host configuration change: a change starts at the first "arm" line after an "end"
    one (the bus notifies each AP driver at the start and at the end of its scan). Without
    such lines, one group."""
    groups, ended = [[]], False
    with open(windows_path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if line == "end":
            ended = True
        elif line == "arm" and ended:
            groups.append([])
            ended = False
        m = re.match(r"window \d+ ended-by (\w+) (.*)", line)
        if m:
            counts = dict(zip(m[2].split()[::2], map(int, m[2].split()[1::2])))
            code = lines[i + 1].split()[1:]
            data = lines[i + 2].split()[1:]
            groups[-1].append((m[1], counts, code, data))
    return groups


def report_pages(windows_path, results, system_map, base, step=False):
    insn = load_insn_report()
    groups = read_windows(windows_path)
    if step:
        # One group per host configuration change; the timed removal is the first of each
        # pair whose guests were updated. A change with one guest has no step.
        firsts = removals(groups, bool)
        timed = [g[0] for g in firsts]
    else:
        timed = removals([w for g in groups for w in g], lambda w: w[0] == "stop")
    reps = guest_reps(results)
    if len(timed) != len(reps):
        sys.exit("path-cost-report: %d removals in the windows, %d reps in the guest's log"
                 % (len(timed), len(reps)))
    kernel = insn.kernel_symbols(system_map, base)
    halves = insn.half_symbols(results)
    syms = {}
    for driver, s in halves.values():
        syms.setdefault(driver, insn.Symbolizer(kernel + s))
    if step:
        print("config path, from a guest's kvm_arch_crypto_set_masks() to the next guest's "
              "(the N-th of the change, PATH_COST_STEP,\nthe first by default; to the scan's "
              "end for the last guest):")
    else:
        print("config path, from the AP bus's notify of the drivers to the first guest's "
              "kvm_arch_crypto_set_masks():")
    print("what the last rep of each driver and M touched (translation blocks, guest pages)")
    last = {}
    for w, (driver, m, _rep, _floor, _share) in zip(timed, reps):
        last[(driver, m)] = w
    for (driver, m), (_, counts, code, data) in sorted(last.items()):
        print("\n%s driver, M = %d: %s" % (driver, m, ", ".join("%s %d" % kv for kv in counts.items())))
        sym = syms.get(driver, insn.Symbolizer(kernel))
        for what, pages in (("code", code), ("data", data)):
            print("  %s pages (first touched by):" % what)
            for item in pages:
                page, pc = item.split("@")
                print("    %12s  %s" % (page, sym(int(pc, 16))))
    print("\npages per driver and M (code + data):")
    for (driver, m), (_, counts, _, _) in sorted(last.items()):
        print("  %-5s M = %-3d %3d + %3d = %3d" % (driver, m, counts["code-pages"],
                                                 counts["data-pages"],
                                                 counts["code-pages"] + counts["data-pages"]))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "wall":
        report_wall(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] in ("pages", "step"):
        report_pages(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5], 0),
                     step=sys.argv[1] == "step")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
