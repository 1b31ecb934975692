# SPDX-License-Identifier: GPL-2.0
"""gdb script for scripts/insn-profile.sh: records every instruction a guest vCPU executes
from a start address until a stop address (or the start function's return).

Run as `gdb-multiarch -batch -nx -x insn-trace.py` with, in the environment:
  TRACE_PORT   QEMU's gdb stub port on 127.0.0.1
  TRACE_FROM   start address (hex): each time a vCPU reaches it, a trace begins
  TRACE_TO     stop address (hex): the trace ends when the vCPU reaches it
  TRACE_OUT    directory for trace-NNN-{stop,return,cap}.txt (one PSW address per line)
  TRACE_CAP    most instructions per trace (default 300000)
  TRACE_LAST   if set, a trace goes on past the stop address to the start function's return
               (named -stop if it passed the stop address): for a path that reaches it
               several times, e.g. once per guest; insn-report.py cuts at the last visit
  TRACE_SKIP   optional addresses (hex, comma-separated) of functions to run through rather
               than step, such as schedule(): a path that sleeps would otherwise step the
               idle loop, since stepping masks the timer that would wake it; a skipped call
               counts as one instruction
  TRACE_MARK   optional address (hex) the guest reaches between phases (e.g. the sync
               system call): each visit appends the number of traces so far to marks.txt

Single steps go to the stub as raw packets: gdb's own stepi unwinds frames, which it cannot
do in a kernel without debug information. QEMU's stub masks interrupts and timers while
stepping, so a trace holds only the path itself.
"""

import os
import time

import gdb  # pylint: disable=import-error

PORT = os.environ["TRACE_PORT"]
START = int(os.environ["TRACE_FROM"], 16)
STOP = int(os.environ["TRACE_TO"], 16)
OUT = os.environ["TRACE_OUT"]
CAP = int(os.environ.get("TRACE_CAP", "300000"))
MARK = int(os.environ.get("TRACE_MARK") or "0", 16)
LAST = bool(os.environ.get("TRACE_LAST"))
SKIP = {int(a, 16) for a in os.environ.get("TRACE_SKIP", "").split(",") if a}

# QEMU's s390x register numbers: pswm 0, pswa 1, r0-r15 2-17
REGNO = {"pc": 1, "r14": 16, "r15": 17}


def packet(text):
    """Sends a raw packet to the stub; returns its reply."""
    reply = gdb.execute("maint packet " + text, to_string=True)
    return reply.split('received: "', 1)[1].rsplit('"', 1)[0]


def reg(name):
    """A register of the current vCPU, read from the stub."""
    return int(packet("p%x" % REGNO[name]), 16)


def run_to(ret, sp):
    """Lets the vCPUs run until the current one returns to `ret` with stack pointer `sp`."""
    bp = gdb.Breakpoint("*0x%x" % ret, internal=True, temporary=False)
    try:
        while True:
            gdb.execute("maintenance flush register-cache", to_string=True)
            gdb.execute("continue", to_string=True)
            gdb.execute("maintenance flush register-cache", to_string=True)
            if reg("pc") == ret and reg("r15") == sp:
                return
    finally:
        bp.delete()


def main():
    for cmd in ("set pagination off", "set confirm off", "set architecture s390:64-bit",
                "set endian big"):
        gdb.execute(cmd, to_string=True)
    for _ in range(600):
        try:
            gdb.execute("target remote 127.0.0.1:%s" % PORT, to_string=True)
            break
        except gdb.error:
            time.sleep(0.2)
    else:
        raise SystemExit("insn-trace: no gdb stub on port %s" % PORT)
    gdb.Breakpoint("*0x%x" % START, internal=True)
    if MARK:
        gdb.Breakpoint("*0x%x" % MARK, internal=True)
    open(os.path.join(OUT, "marks.txt"), "w").close()
    n = 0
    while True:
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error as e:
            print("insn-trace: guest gone (%s)" % e, flush=True)
            return
        gdb.execute("maintenance flush register-cache", to_string=True)
        pc = reg("pc")
        if MARK and pc == MARK:
            with open(os.path.join(OUT, "marks.txt"), "a") as f:
                f.write("%d\n" % n)
            continue
        if pc != START:
            continue
        # The start function returns to r14 with the stack pointer r15 as on entry.
        ret, sp = reg("r14"), reg("r15")
        pcs, reason, stopped = [], "cap", False
        while len(pcs) < CAP:
            pc = reg("pc")
            pcs.append(pc)
            if pc == STOP:
                stopped = True
                if not LAST:
                    break
            if pc == ret and reg("r15") == sp:
                break
            if pc in SKIP:
                run_to(reg("r14"), reg("r15"))
                continue
            packet("s")
        if stopped:
            reason = "stop"
        elif len(pcs) < CAP:
            reason = "return"
        gdb.execute("maintenance flush register-cache", to_string=True)
        n += 1
        with open(os.path.join(OUT, "trace-%03d-%s.txt" % (n, reason)), "w") as f:
            f.write("".join("%x\n" % pc for pc in pcs))
        print("insn-trace: trace %d, %d instructions, ended by %s" % (n, len(pcs), reason),
              flush=True)


main()
