#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest run: the tests' KTAP results and the kernel console.

Usage: parse-results.py RESULTS CONSOLE
       parse-results.py --scan-console CONSOLE   (console verdict only)

A run passes only if every test passed (skips allowed), the guest reached the end, and the
console shows no kernel warning, bug, lockdep, KASAN or hung-task report.
"""
import re
import sys

# Reports the kernel prints when something is wrong, whatever the tests say.
CONSOLE_BAD = [
    r"WARNING:",
    r"BUG:",
    r"\bOops\b",
    r"Kernel panic",
    r"cut here \]",
    r"possible circular locking dependency",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"INFO: (task .* blocked|lockdep|trying to register non-static key)",
    r"blocked for more than \d+ seconds",
    r"KASAN:",
    r"UBSAN:",
    r"kmemleak: \d+ new suspected memory leaks",
    r"Unable to handle kernel",
    r"rust_panic|panicked at",
    r"Kernel stack overflow",
    r"general protection fault",
]
BAD = re.compile("|".join(f"(?:{p})" for p in CONSOLE_BAD))
TAP = re.compile(r"^(not ok|ok) \d+(.*)$")


def scan_console(path):
    """Return the offending console lines, each with a little context."""
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError as e:
        return [f"cannot read console log: {e}"]
    found = []
    for i, line in enumerate(lines):
        if BAD.search(line):
            ctx = lines[max(0, i - 2) : i + 6]
            found.append("\n".join("    " + c for c in ctx))
    return found


def parse_results(path):
    """Return (tests, done) where tests = [(name, passed, failed, skipped, notes)]."""
    tests, cur, done = [], None, False
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return [], False
    in_dmesg = False
    for line in text.splitlines():
        if line.startswith("# vfio-ap-dmesg-begin"):
            in_dmesg = True
        elif line.startswith("# vfio-ap-dmesg-end"):
            in_dmesg = False
        elif in_dmesg:
            continue
        elif line.startswith("# vfio-ap-guest-done"):
            done = True
        elif line.startswith("# vfio-ap-test-begin "):
            cur = {"name": line.split(" ", 2)[2], "p": 0, "f": 0, "s": 0, "notes": []}
        elif line.startswith("# vfio-ap-test-end ") and cur is not None:
            rc = int(line.rsplit("exit=", 1)[1])
            n = cur["p"] + cur["f"] + cur["s"]
            if rc == 4 and n == 0:
                cur["s"] += 1
                cur["notes"].append("skipped as a whole")
            elif rc not in (0, 4) and cur["f"] == 0:
                cur["f"] += 1
                why = "timed out" if rc in (124, 143) else f"exited {rc}"
                cur["notes"].append(f"{why} without a failed result")
            elif rc == 0 and n == 0:
                cur["f"] += 1
                cur["notes"].append("printed no results")
            tests.append((cur["name"], cur["p"], cur["f"], cur["s"], cur["notes"]))
            cur = None
        elif cur is not None:
            m = TAP.match(line)
            if m:
                if m.group(1) == "not ok":
                    cur["f"] += 1
                    cur["notes"].append(line)
                elif "# SKIP" in m.group(2):
                    cur["s"] += 1
                else:
                    cur["p"] += 1
    if cur is not None:
        tests.append((cur["name"], cur["p"], cur["f"] + 1, cur["s"], ["did not finish"]))
    return tests, done


def main(argv):
    if len(argv) == 3 and argv[1] == "--scan-console":
        bad = scan_console(argv[2])
        for b in bad:
            print(b)
        return 1 if bad else 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tests, done = parse_results(argv[1])
    passed = failed = skipped = 0
    for name, p, f, s, notes in tests:
        verdict = "FAIL" if f else ("skip" if s and not p else "ok")
        print(f"  {verdict:4} {name}: {p} passed, {f} failed, {s} skipped")
        for n in notes[:20]:
            print(f"       {n}")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    ok = failed == 0
    if not done:
        print("  FAIL the guest did not finish (crash, hang or timeout): see the console log")
        failed += 1
        ok = False
    bad = scan_console(argv[2])
    if bad:
        print(f"  FAIL the kernel console shows {len(bad)} report(s):")
        for b in bad[:10]:
            print(b)
        failed += 1
        ok = False
    print(f"guest: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
