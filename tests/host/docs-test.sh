#!/usr/bin/env bash
# Host test: README.md's commands exist as make targets, and every Documentation/*.rst file
# parses without a docutils warning (a broken table or definition list renders as garbage
# on a documentation site while reading fine as text). Prints TAP; exits non-zero on any
# failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

# Debian's python3 has docutils once setup.sh installed python3-docutils; a python3 first on
# PATH (e.g. pyenv's) may not.
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import docutils' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	result 0 "docutils is installed (scripts/setup.sh installs python3-docutils)"
else
	for f in "$repo"/Documentation/*.rst; do
		out=$("$py" - "$f" 2>&1 <<'PY'
import io, sys
import docutils.core
err = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
                              settings_overrides={"warning_stream": err, "report_level": 2})
sys.stdout.write(err.getvalue())
PY
)
		if [ -z "$out" ]; then result 1 "$(basename "$f") parses cleanly"; else result 0 "$(basename "$f") parses cleanly" "$out"; fi
	done
fi

for t in demo check; do
	if grep -Eq "^$t:" "$repo/Makefile" && grep -q "make $t" "$repo/README.md"; then
		result 1 "README's 'make $t' is a make target"
	else
		result 0 "README's 'make $t' is a make target"
	fi
done

tap_done
