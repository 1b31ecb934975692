#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the traces of scripts/insn-trace.py into per-function instruction counts.

  insn-report.py SYSTEM_MAP IMAGE_BASE RESULTS TRACE_DIR [STOP]

SYSTEM_MAP and IMAGE_BASE (CONFIG_KERNEL_IMAGE_BASE) give the kernel's symbols at their run
addresses; RESULTS (the guest's results.txt) holds each half's module symbols ("# ksym HALF
DRIVER ADDR TYPE NAME [MODULE]"); TRACE_DIR holds the traces and marks.txt (how many traces
came before each half began); with STOP (hex), a trace counts up to its last visit of that
address (insn-trace.py's TRACE_LAST). For each half: every trace that reached the stop address, and
the per-function counts of its last one (the steady state: the first reps also pay for
lockdep's first sight of a lock chain and for cold caches of the kernel's own). Then, if
both drivers ran, the two side by side.
"""

import bisect
import collections
import os
import re
import subprocess
import sys


def kernel_symbols(system_map, base):
    syms = []
    with open(system_map) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind in "tTwW":
                syms.append((int(addr, 16) + base, name))
    return syms


def half_symbols(results):
    """{half: (driver, [(addr, name)])} from the "# ksym" lines."""
    halves = {}
    with open(results, errors="replace") as f:
        for line in f:
            if not line.startswith("# ksym "):
                continue
            fields = line.split()
            if len(fields) < 7:
                continue
            half, driver, addr, kind, name = int(fields[2]), fields[3], fields[4], fields[5], fields[6]
            if kind not in "tTwW":
                continue
            halves.setdefault(half, (driver, []))[1].append((int(addr, 16), name))
    return halves


def demangle(names):
    """Readable names: Rust symbols through c++filt, crate hashes dropped."""
    rust = sorted({n for n in names if n.startswith("_R")})
    out = {n: n for n in names}
    if rust:
        try:
            text = subprocess.run(["c++filt"], input="\n".join(rust), capture_output=True,
                                  text=True, check=True).stdout.splitlines()
            for n, d in zip(rust, text):
                out[n] = re.sub(r"\[[0-9a-f]{16}\]", "", d)
        except (OSError, subprocess.CalledProcessError):
            pass
    return out


class Symbolizer:
    def __init__(self, syms):
        self.syms = sorted(syms)
        self.addrs = [a for a, _ in self.syms]
        self.names = demangle([n for _, n in self.syms])

    def __call__(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[self.syms[i][1]] if i >= 0 else "?"


STOP = None


def read_trace(path):
    with open(path) as f:
        pcs = [int(x, 16) for x in f.read().split()]
    if STOP is not None and STOP in pcs:
        pcs = pcs[:len(pcs) - pcs[::-1].index(STOP)]
    return pcs


def short(name, width=72):
    return name if len(name) <= width else name[:width - 3] + "..."


def main():
    global STOP  # pylint: disable=global-statement
    system_map, base, results, tdir = sys.argv[1], int(sys.argv[2], 0), sys.argv[3], sys.argv[4]
    if len(sys.argv) > 5:
        STOP = int(sys.argv[5], 16)
    ksyms = kernel_symbols(system_map, base)
    halves = half_symbols(results)
    with open(os.path.join(tdir, "marks.txt")) as f:
        marks = [int(x) for x in f.read().split()]
    traces = sorted(t for t in os.listdir(tdir) if t.startswith("trace-"))
    # The guest's init syncs again before it powers off: only the first marks are halves.
    if not halves or len(marks) < len(halves):
        sys.exit("insn-report: %d halves with symbols but %d marks: did the guest finish?"
                 % (len(halves), len(marks)))
    marks = marks[:len(halves)]
    steady = {}
    for half in sorted(halves):
        driver, msyms = halves[half]
        first = marks[half - 1]
        last = marks[half] if half < len(marks) else 1 << 30
        mine = [t for t in traces if first < int(t.split("-")[1]) <= last]
        stopped = [t for t in mine if t.endswith("-stop.txt")]
        lengths = [len(read_trace(os.path.join(tdir, t))) for t in stopped]
        print("half %d, %s driver: %d traces, %d reached the stop address: %s instructions"
              % (half, driver, len(mine), len(stopped), " ".join(map(str, lengths)) or "-"))
        if stopped and driver not in steady:
            sym = Symbolizer(ksyms + msyms)
            trace = read_trace(os.path.join(tdir, stopped[-1]))
            steady[driver] = collections.Counter(sym(pc) for pc in trace)
    for driver, counts in steady.items():
        print("\n%s driver, last trace: %d instructions" % (driver, sum(counts.values())))
        for name, n in counts.most_common(40):
            print("%8d  %s" % (n, short(name)))
    if "c" in steady and "ours" in steady:
        c, ours = steady["c"], steady["ours"]
        print("\nside by side (instructions; ours - c):")
        names = sorted(set(c) | set(ours), key=lambda n: -(abs(ours[n] - c[n]) * 1000 + c[n] + ours[n]))
        print("%8s %8s %8s  %s" % ("c", "ours", "diff", "function"))
        for n in names:
            print("%8d %8d %+8d  %s" % (c[n], ours[n], ours[n] - c[n], short(n)))
        print("%8d %8d %+8d  total" % (sum(c.values()), sum(ours.values()),
                                        sum(ours.values()) - sum(c.values())))


if __name__ == "__main__":
    main()
