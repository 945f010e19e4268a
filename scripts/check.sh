#!/usr/bin/env bash
# The project's test command, for people and CI alike: finds a JDK >= 21 and runs the full Maven build
# (compile, every test including the architecture test and the fuzz regression inputs, package).
# Extra arguments go to Maven, e.g.  scripts/check.sh -Dtest=SseParserSpecTest
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/jdk.sh"
np_find_jdk || exit 1
np_require_maven || exit 1
echo "check: using $("$JAVA" -version 2>&1 | head -n1) at $JAVA_HOME" >&2
cd "$root"
exec mvn -B -ntp verify "$@"
