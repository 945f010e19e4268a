# Finds a JDK >= 21 and exports JAVA_HOME and JAVA for the calling script. Sourced, not run.
# Order: $JAVA_HOME, `java` on PATH, then the system's JVM folders (newest first).

np_java_major() {
  # prints the feature version of the java binary $1 (17, 21, 25...), or nothing
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9.]*\).*/\1/p' | head -n1 | cut -d. -f1
}

np_home_of() {
  # JAVA_HOME of a java binary: resolve symlinks, strip /bin/java
  local bin
  bin=$(readlink -f "$1" 2>/dev/null || echo "$1")
  dirname "$(dirname "$bin")"
}

np_find_jdk() {
  local min=21 candidate major
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  local dir
  for dir in $(ls -d /usr/lib/jvm/*/ /usr/java/*/ /opt/java/*/ /opt/jdk*/ \
                  /Library/Java/JavaVirtualMachines/*/Contents/Home/ 2>/dev/null | sort -rV); do
    candidates+=("${dir%/}/bin/java")
  done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] || continue
    # a JDK, not just a runtime: Maven needs javac beside java
    [ -x "$(dirname "$candidate")/javac" ] || continue
    major=$(np_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      JAVA="$candidate"
      JAVA_HOME=$(np_home_of "$candidate")
      export JAVA JAVA_HOME
      return 0
    fi
  done
  cat >&2 <<MSG
neural-pipeline: no JDK 21 or newer was found.
  Looked at: \$JAVA_HOME (${JAVA_HOME:-unset}), java on PATH, /usr/lib/jvm/*, /usr/java/*, /opt/java/*.
  Install one and run again, for example:
    Debian 13 / Ubuntu 24.04:  sudo apt-get install openjdk-21-jdk-headless
    Fedora:                    sudo dnf install java-21-openjdk-devel
    macOS (Homebrew):          brew install openjdk@21
    any system:                Eclipse Temurin 21 or 25 from adoptium.net
  or point JAVA_HOME at an installed JDK 21+.
MSG
  return 1
}

np_require_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "neural-pipeline: Apache Maven (mvn, 3.8 or newer) is needed to build; install it, e.g. 'sudo apt-get install maven'." >&2
    return 1
  fi
}
