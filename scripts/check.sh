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
# the official openai npm SDK, a real client in OpenAiSdkTest (pinned in src/test/node/package.json);
# without npm the test is skipped, unless CI=true, where it fails
if command -v npm >/dev/null 2>&1 && [ ! -d src/test/node/node_modules/openai ]; then
  echo "check: installing the openai SDK for OpenAiSdkTest (npm, src/test/node)" >&2
  (cd src/test/node && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "check: npm install failed; OpenAiSdkTest will be skipped (or fail with CI=true)" >&2
fi
exec mvn -B -ntp verify "$@"
