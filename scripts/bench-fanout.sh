#!/usr/bin/env bash
# Broadcast fan-out benchmark: WebSocket viewers, a fixed-rate publisher through ingest, and the service as a
# separate process whose CPU, memory and descriptors are read from /proc. Builds the jar and the bench classes
# (-Pbench), then runs org.neuralpipeline.bench.FanoutLoad. Results: a Markdown report on stdout, and
# results.md, results.json and each scenario's server log under target/bench/fanout/. See docs/BENCHMARKS.md,
# "Broadcast fan-out". About 6 minutes. Extra arguments go to the tool, e.g.
#   scripts/bench-fanout.sh --scenarios v100,v1000 --warmup 5 --steady 10
#   scripts/bench-fanout.sh --scale 0.1                  (a tenth of the viewers and cycles: a quick check)
#   NP_JAVA_OPTS='-XX:StartFlightRecording=filename=target/bench/fanout/{scenario}.jfr' scripts/bench-fanout.sh
#   scripts/bench-fanout.sh --client vertx              (viewers on Vert.x's WebSocket client, not the NIO ones)
#   scripts/bench-fanout.sh --client-poll-us 1000       (fewer viewer wake-ups: the tool takes a third of the CPU,
#                                                        latency over-stated by up to 1 ms)
#   scripts/bench-fanout.sh --check                     (self-check of the viewers, ~30 s: framing against a
#                                                        scripted server, then raw vs Vert.x vs the server's count)
# NP_JAVA_OPTS are the server's JVM options ({scenario} is replaced by the scenario's name).
# Set NP_BENCH_SKIP_BUILD=1 to reuse the last build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/jdk.sh
. "$root/scripts/lib/jdk.sh"
np_find_jdk || exit 1
np_require_maven || exit 1
cd "$root"
mkdir -p target/bench/fanout

if [ -z "${NP_BENCH_SKIP_BUILD:-}" ]; then
  echo "bench-fanout: building the jar and the bench classes with $JAVA_HOME ..." >&2
  # test classes are compiled by `package` even with -DskipTests; -Pbench adds the bench folder
  if ! mvn -q -B -Pbench -DskipTests package >target/bench/fanout/build.log 2>&1; then
    echo "bench-fanout: the build failed; its output is in target/bench/fanout/build.log" >&2
    tail -n 30 target/bench/fanout/build.log >&2
    exit 1
  fi
  mvn -q -B -Pbench dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench/fanout/classpath.txt >>target/bench/fanout/build.log 2>&1
fi

# 5,050 viewers hold 5,050 sockets in this tool and as many in the server (a child: it inherits the limit)
want=16384
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" -lt "$want" ]; then
    echo "bench-fanout: open-files limit is $(ulimit -n); 5,000 viewers need about $want" >&2
  fi
fi

echo "bench-fanout: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | head -n1)" >&2
# the throughput collector: the least GC CPU in the tool, whose CPU counts against the machine
if [ "${1:-}" = --check ]; then
  exec "$JAVA" -Xms256m -Xmx1g -XX:+UseParallelGC \
    -cp "target/test-classes:target/classes:$(cat target/bench/fanout/classpath.txt)" \
    org.neuralpipeline.bench.FanoutCheck "$JAVA" target/neural-pipeline.jar target/bench/fanout
fi
exec "$JAVA" -Xms256m -Xmx1g -XX:+UseParallelGC \
  -cp "target/test-classes:target/classes:$(cat target/bench/fanout/classpath.txt)" \
  org.neuralpipeline.bench.FanoutLoad --java "$JAVA" --jar target/neural-pipeline.jar \
  --out target/bench/fanout --server-jvm-opts "${NP_JAVA_OPTS:-}" "$@"
