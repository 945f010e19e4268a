#!/usr/bin/env bash
# Gateway load benchmark: what the gateway adds to time-to-first-token and to each streamed chunk.
# Builds the jar and the bench classes (-Pbench), then runs org.neuralpipeline.bench.GatewayLoad, which
# starts a synthetic upstream and the load client in its own JVM and the gateway as a separate process.
# Results: a Markdown table on stdout, JSON and the gateway's log under target/bench/. See
# docs/BENCHMARKS.md, "Gateway". Extra arguments go to the tool, e.g.
#   scripts/bench-gateway.sh --scenarios a --repeat-a 10
#   scripts/bench-gateway.sh --mode direct          (no gateway)
#   NP_JAVA_OPTS='-XX:StartFlightRecording=filename=target/bench/gw.jfr' scripts/bench-gateway.sh
# Set NP_BENCH_SKIP_BUILD=1 to reuse the last build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/jdk.sh
. "$root/scripts/lib/jdk.sh"
np_find_jdk || exit 1
np_require_maven || exit 1
cd "$root"
mkdir -p target/bench

if [ -z "${NP_BENCH_SKIP_BUILD:-}" ]; then
  echo "bench-gateway: building the jar and the bench classes with $JAVA_HOME ..." >&2
  # test classes are compiled by `package` even with -DskipTests; -Pbench adds the bench folder
  if ! mvn -q -B -Pbench -DskipTests package >target/bench/build.log 2>&1; then
    echo "bench-gateway: the build failed; its output is in target/bench/build.log" >&2
    tail -n 30 target/bench/build.log >&2
    exit 1
  fi
  mvn -q -B -Pbench dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench/classpath.txt >>target/bench/build.log 2>&1
fi

# 1,000 streams need about 4,000 sockets in the load tool (client and upstream ends, both modes)
want=5000
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || echo "bench-gateway: open-files limit is $(ulimit -n); 1,000 streams need about $want" >&2
fi

echo "bench-gateway: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | head -n1)" >&2
exec "$JAVA" -Xms512m -Xmx2g \
  -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
  org.neuralpipeline.bench.GatewayLoad --java "$JAVA" --jar target/neural-pipeline.jar "$@"
