#!/usr/bin/env bash
# Builds the JMH benchmarks (Maven profile `bench`) and runs them. See docs/BENCHMARKS.md.
#
#   scripts/bench.sh sse [JMH args…]     SSE parser vs OkHttp; results in target/jmh/sse-<time>.{json,txt,md}
#   scripts/bench.sh sse-table FILE.json  re-renders the Markdown table of an earlier SSE run
#
# JMH args go through unchanged and override the defaults below and in the benchmark's annotations,
# e.g. `scripts/bench.sh sse -f 1 -wi 2 -i 3 -p corpus=openai` or `… sse -prof stack`.
set -euo pipefail

cd "$(dirname "$0")/.."

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

# Prints the major Java version of the given java binary, or nothing.
java_major() {
    "$1" -XshowSettings:properties -version 2>&1 \
        | awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]) }'
}

# Sets JAVA to a JDK >= 21 java: $JAVA_HOME, then `java` on PATH, then the newest under /usr/lib/jvm.
find_java() {
    local candidates=() c major best="" best_major=0
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null && candidates+=("$(command -v java)")
    for c in "${candidates[@]}"; do
        [[ -x "$c" && -x "$(dirname "$c")/javac" ]] || continue
        major=$(java_major "$c")
        if [[ -n "$major" && "$major" -ge 21 ]]; then JAVA="$c"; return; fi
    done
    for c in /usr/lib/jvm/*/bin/java; do
        [[ -x "$c" && -x "$(dirname "$c")/javac" ]] || continue
        major=$(java_major "$c")
        if [[ -n "$major" && "$major" -gt "$best_major" ]]; then best="$c"; best_major=$major; fi
    done
    if [[ "$best_major" -ge 21 ]]; then JAVA="$best"; return; fi
    echo "bench.sh: no JDK 21 or newer found (looked at \$JAVA_HOME, java on PATH, /usr/lib/jvm/*)." >&2
    echo "Set JAVA_HOME to one, or install one: apt-get install openjdk-21-jdk-headless" >&2
    exit 1
}

# Compiles main and test code with -Pbench and writes the test classpath to target/bench-classpath.txt.
build() {
    find_java
    JAVA_HOME="$(cd "$(dirname "$JAVA")/.." && pwd)"
    export JAVA_HOME
    echo "bench.sh: building with $("$JAVA" -version 2>&1 | head -1) at $JAVA_HOME" >&2
    mvn -q -B -Pbench -DskipTests test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >&2
    CLASSPATH_BENCH="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
}

sse_table() {
    "$JAVA" -cp "$CLASSPATH_BENCH" org.neuralpipeline.bench.SseReport "$1"
}

# One line on how busy the machine is: other processes' load skews wall-clock numbers.
machine_load() {
    echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
}

sse() {
    build
    mkdir -p target/jmh
    local base load_before
    base="target/jmh/sse-$(date +%Y%m%d-%H%M%S)"
    load_before=$(machine_load)
    # Defaults for a 2-core machine come from the benchmarks' annotations: 2 forks, 4 × 2 s warm-up,
    # 5 × 2 s measurement, for 8 parser runs and 2 floor runs; about 10 minutes (12 on a busy machine).
    "$JAVA" -cp "$CLASSPATH_BENCH" org.openjdk.jmh.Main 'org\.neuralpipeline\.bench\.(SseParser|StringFloor)Benchmark\.' \
        -foe true -prof gc -prof org.neuralpipeline.bench.CpuTimeProfiler \
        -rf json -rff "$base.json" "$@" 2>&1 | tee "$base.txt"
    {
        echo "Machine: before the run $load_before; after it $(machine_load)."
        echo
        sse_table "$base.json"
    } | tee "$base.md"
    echo "bench.sh: results in $base.json, $base.txt and $base.md" >&2
}

case "${1:-}" in
    sse) shift; sse "$@" ;;
    sse-table)
        [[ $# -eq 2 ]] || { usage >&2; exit 2; }
        build
        sse_table "$2"
        ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
