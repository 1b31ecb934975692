#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the traces of scripts/insn-trace.py into per-function instruction counts.

  insn-report.py SYSTEM_MAP IMAGE_BASE RESULTS TRACE_DIR [STOP] [--vmlinux F --ko DRIVER=F ...]

SYSTEM_MAP and IMAGE_BASE (CONFIG_KERNEL_IMAGE_BASE) give the kernel's symbols at their run
addresses; RESULTS (the guest's results.txt) holds each half's module symbols ("# ksym HALF
DRIVER ADDR TYPE NAME [MODULE]"); TRACE_DIR holds the traces and marks.txt (how many traces
came before each half began); with STOP (hex), a trace counts up to its last visit of that
address (insn-trace.py's TRACE_LAST). For each half: every trace that reached the stop address, and
the per-function counts of its last one (the steady state: the first reps also pay for
lockdep's first sight of a lock chain and for cold caches of the kernel's own). Then, if
both drivers ran, the two side by side. With the kernel image (--vmlinux) and each driver's
module (--ko c=PATH --ko ours=PATH), also the storage-to-storage instructions of those traces
(MVC, CLC, XC, EXRL, ...): one instruction each on the instruction clock, but a helper call
each under TCG, and QEMU's CLC loads its operands byte by byte, so they cost wall-clock time
the instruction count does not show.
"""

import bisect
import collections
import os
import re
import shutil
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

    def locate(self, pc):
        """(address, raw name) of the symbol at or below PC, or None."""
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.syms[i] if i >= 0 else None

    def __call__(self, pc):
        hit = self.locate(pc)
        return self.names[hit[1]] if hit else "?"


STOP = None


def read_trace(path):
    with open(path) as f:
        pcs = [int(x, 16) for x in f.read().split()]
    if STOP is not None and STOP in pcs:
        pcs = pcs[:len(pcs) - pcs[::-1].index(STOP)]
    return pcs


# Instructions that TCG runs through a helper call, with a cost that the instruction clock
# does not see (CLC: two loads per byte compared).
HELPER_OPS = ("mvc", "clc", "xc", "nc", "oc", "mvcl", "mvcle", "clcl", "clcle", "ex", "exrl",
              "mvcos", "mvst", "clst", "srst", "tr", "trt")


class Disassembler:
    """The mnemonic at an offset into a function, from llvm-objdump of the binary holding it."""

    def __init__(self):
        self.cache = {}
        self.tool = next((t for t in ("llvm-objdump-19", "llvm-objdump") if shutil.which(t)), None)

    def mnemonic(self, binary, symbol, offset):
        key = (binary, symbol)
        if key not in self.cache:
            table = {}
            if self.tool:
                out = subprocess.run([self.tool, "-d", "--no-show-raw-insn", "--disassemble-symbols=" + symbol,
                                      binary], capture_output=True, text=True, check=False).stdout
                start = None
                for line in out.splitlines():
                    m = re.match(r"\s*([0-9a-f]+):\s+(\S+)", line)
                    if m:
                        addr = int(m.group(1), 16)
                        start = addr if start is None else start
                        table[addr - start] = m.group(2)
            self.cache[key] = table
        return self.cache[key].get(offset)


def helper_ops(trace, sym, module_names, vmlinux, ko, dis):
    """Counter of (mnemonic, readable function name) for the HELPER_OPS in TRACE; a symbol in
    MODULE_NAMES is disassembled from KO, any other from VMLINUX."""
    out = collections.Counter()
    for pc in trace:
        hit = sym.locate(pc)
        if not hit:
            continue
        addr, name = hit
        op = dis.mnemonic(ko if name in module_names else vmlinux, name, pc - addr)
        if op in HELPER_OPS:
            out[(op, sym.names[name])] += 1
    return out


def short(name, width=72):
    return name if len(name) <= width else name[:width - 3] + "..."


def main():
    global STOP  # pylint: disable=global-statement
    args, vmlinux, kos = [], None, {}
    argv = iter(sys.argv[1:])
    for a in argv:
        if a == "--vmlinux":
            vmlinux = next(argv)
        elif a == "--ko":
            driver, _, path = next(argv).partition("=")
            kos[driver] = path
        else:
            args.append(a)
    system_map, base, results, tdir = args[0], int(args[1], 0), args[2], args[3]
    if len(args) > 4:
        STOP = int(args[4], 16)
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
    helpers = {}
    dis = Disassembler()
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
            if vmlinux and driver in kos:
                helpers[driver] = helper_ops(trace, sym, {n for _, n in msyms}, vmlinux, kos[driver], dis)
    for driver, counts in steady.items():
        print("\n%s driver, last trace: %d instructions" % (driver, sum(counts.values())))
        for name, n in counts.most_common(40):
            print("%8d  %s" % (n, short(name)))
    if "c" in steady and "ours" in steady:
        c, ours = steady["c"], steady["ours"]
        print("\nside by side (instructions; ours - c):")
        names = sorted(set(c) | set(ours), key=lambda n: (-(abs(ours[n] - c[n]) * 1000 + c[n] + ours[n]), n))
        print("%8s %8s %8s  %s" % ("c", "ours", "diff", "function"))
        for n in names:
            print("%8d %8d %+8d  %s" % (c[n], ours[n], ours[n] - c[n], short(n)))
        print("%8d %8d %+8d  total" % (sum(c.values()), sum(ours.values()),
                                        sum(ours.values()) - sum(c.values())))
    if helpers:
        print("\nstorage-to-storage instructions in those traces (a helper call each under TCG):")
        drivers = [d for d in ("c", "ours") if d in helpers]
        print("".join("%8s" % d for d in drivers) + "  instruction")
        for op in HELPER_OPS:
            counts = [sum(k for (o, _), k in helpers[d].items() if o == op) for d in drivers]
            if any(counts):
                print("".join("%8d" % k for k in counts) + "  " + op)
        for d in drivers:
            for (op, name), k in sorted(helpers[d].items(), key=lambda x: -x[1]):
                print("%8d  %s %s in %s" % (k, d, op, short(name, 60)))


if __name__ == "__main__":
    main()
