#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a guest run: the tests' KTAP results and the kernel's own reports.

Usage: parse-results.py RESULTS CONSOLE
       parse-results.py --scan-console LOG       (kernel-report verdict of one log only)

RESULTS is what scripts/guest/init wrote to the "results" port; CONSOLE is the guest's
console. A run passes only if every test passed (skips allowed), the guest reached its
"# vfio-ap-guest-done" marker, and neither the console nor the guest's dmesg (dumped into
RESULTS after the last test) shows a kernel warning, BUG, oops, lockdep, RCU, KASAN, UBSAN,
kmemleak, hung-task or Rust panic report.

Counting, per test file: top-level "ok"/"not ok" lines (indented KTAP subtest lines are
left to their parent's result); "ok ... # SKIP reason" is a skip, not a pass. A file that
exits non-zero (other than 4, the kselftest "skip" code) without a "not ok" line, or that
prints no result line at all, counts as one failure; exit 4 with no result line is one skip.
The last line printed is "guest: N passed, N failed, N skipped".
"""
import re
import sys

# Reports the kernel prints when something is wrong, whatever the tests say.
CONSOLE_BAD = [
    r"WARNING:",
    r"BUG:",
    r"\bBUG [\w.-]+ \(.*\): ",  # SLUB debugging: "BUG kmalloc-64 (Not tainted): ..."
    r"\bOops\b",
    r"Kernel panic",
    r"cut here \]",
    r"possible circular locking",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"(?:^|\] )INFO: ",  # lockdep, RCU stalls, hung tasks ...
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
TEST_MARK = re.compile(r"vfio-ap-test: (.+)$")
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")
TAP = re.compile(r"^(not ok|ok)\b(?: +\d+)?(.*)$")
SKIP = re.compile(r"#\s*skip\b", re.IGNORECASE)
BEFORE, AFTER = 2, 6  # context lines around a report


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return None


def scan_lines(lines):
    """Find kernel reports in a log.

    Returns [(key, during, text)]: key is the first offending line without its timestamp,
    during the test that was running (from init's "vfio-ap-test:" kernel-log lines) and text
    the report with context. Offending lines close together are one report.
    """
    groups, during = [], "boot, before the first test"
    for i, line in enumerate(lines):
        m = TEST_MARK.search(line)
        if m:
            during = m.group(1)
            if during == "all tests done":
                during = "after the last test"
        if not BAD.search(line):
            continue
        if groups and i <= groups[-1][1] + AFTER:
            groups[-1][1] = i
        else:
            groups.append([i, i, during])
    out = []
    for first, last, when in groups:
        ctx = lines[max(0, first - BEFORE) : last + AFTER + 1]
        key = TIMESTAMP.sub("", lines[first]).strip()
        out.append((key, when, "\n".join("    " + c for c in ctx)))
    return out


def scan_console(path):
    lines = read_lines(path)
    if lines is None:
        return [("", "", f"    cannot read {path}")]
    return scan_lines(lines)


def parse_results(lines):
    """Return (tests, dmesg_lines, started, done); tests = [(name, p, f, s, notes)]."""
    tests, cur, dmesg = [], None, []
    started = done = in_dmesg = False
    for line in lines:
        if line.startswith("# vfio-ap-dmesg-begin"):
            in_dmesg = True
        elif line.startswith("# vfio-ap-dmesg-end"):
            in_dmesg = False
        elif in_dmesg:
            dmesg.append(line)
        elif line.startswith("# vfio-ap-guest-start"):
            started = True
        elif line.startswith("# vfio-ap-guest-done"):
            done = True
        elif line.startswith("# vfio-ap-test-begin "):
            if cur is not None:
                tests.append((cur["name"], cur["p"], cur["f"] + 1, cur["s"], ["no end marker"]))
            cur = {"name": line.split(" ", 2)[2], "p": 0, "f": 0, "s": 0, "notes": []}
        elif line.startswith("# vfio-ap-test-end ") and cur is not None:
            try:
                rc = int(line.rsplit("exit=", 1)[1])
            except (IndexError, ValueError):
                rc = -1
            n = cur["p"] + cur["f"] + cur["s"]
            if rc == 4 and n == 0:
                cur["s"] += 1
                cur["notes"].append("skipped as a whole (exit 4)")
            elif rc not in (0, 4) and cur["f"] == 0:
                cur["f"] += 1
                why = "timed out" if rc in (124, 137, 143) else f"exited {rc}"
                cur["notes"].append(f"{why} without a failed result")
            elif rc in (0, 4) and n == 0:
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
                elif SKIP.search(m.group(2)):
                    cur["s"] += 1
                else:
                    cur["p"] += 1
    if cur is not None:
        tests.append((cur["name"], cur["p"], cur["f"] + 1, cur["s"], ["did not finish"]))
    return tests, dmesg, started, done


def print_reports(what, reports):
    print(f"  FAIL {what} shows {len(reports)} kernel report(s):")
    for key, when, text in reports[:10]:
        print(f"  --- during {when}:")
        print(text)
    if len(reports) > 10:
        print(f"  ... and {len(reports) - 10} more")


def main(argv):
    if len(argv) == 3 and argv[1] == "--scan-console":
        bad = scan_console(argv[2])
        if bad:
            print_reports(argv[2], bad)
        return 1 if bad else 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    lines = read_lines(argv[1])
    tests, dmesg, started, done = parse_results(lines or [])
    passed = failed = skipped = 0
    for name, p, f, s, notes in tests:
        verdict = "FAIL" if f else ("skip" if s and not p else "ok")
        print(f"  {verdict:4} {name}: {p} passed, {f} failed, {s} skipped")
        for n in notes[:20]:
            print(f"       {n}")
        if len(notes) > 20:
            print(f"       ... {len(notes) - 20} more")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    ok = failed == 0
    if lines is None or not started:
        print(f"  FAIL no results from the guest ({argv[1]}): it did not reach /init's tests")
    if not done:
        print("  FAIL the guest did not finish (crash, hang or timeout): see the console log")
        failed += 1
        ok = False
    bad = scan_console(argv[2])
    # The dmesg dump catches what the console may have missed (console log level, output
    # still queued at poweroff); reports already seen on the console are not repeated.
    seen = {key for key, _, _ in bad}
    extra = [r for r in scan_lines(dmesg) if r[0] not in seen]
    if bad:
        print_reports("the kernel console", bad)
    if extra:
        print_reports("the guest's dmesg (not on the console)", extra)
    if bad or extra:
        failed += 1
        ok = False
    print(f"guest: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
