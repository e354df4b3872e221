#!/usr/bin/env bash
# Regenerate tests/data/idl/expected/ with Apache Avro's own IDL compiler (avro-tools from Maven
# Central, Java 17+). For every .avdl here (putOnClassPath/ excepted: it is the "classpath"
# import directory, as in Avro's test suite), expected/<file without .avdl>/ gets:
#   idl.json           what `avro-tools idl` prints          (or idl.rejected: its error line)
#   schemata/*.avsc    what `avro-tools idl2schemata` writes (or schemata.rejected)
# Usage: bash tests/data/idl/regenerate.sh   (AVRO_TOOLS_VERSION=1.12.1 by default)
set -euo pipefail
cd "$(dirname "$0")"
version="${AVRO_TOOLS_VERSION:-1.12.1}"
jar="$HOME/.m2/repository/org/apache/avro/avro-tools/$version/avro-tools-$version.jar"
if [[ ! -f "$jar" ]]; then
  mvn -q dependency:get -Dartifact="org.apache.avro:avro-tools:$version" -Dtransitive=false
fi
tools=(java -cp "$jar:putOnClassPath" org.apache.avro.tool.Main)
first_error() { grep -v -e '^\s*at ' -e 'WARN' -e '^Warning' -e '^Did you mean' "$1" | head -1; }

rm -rf expected
mkdir -p expected
echo "$version" > expected/AVRO_TOOLS_VERSION
find . -name '*.avdl' -not -path './putOnClassPath/*' | sort | while read -r file; do
  case="${file#./}"
  out="expected/${case%.avdl}"
  mkdir -p "$out"
  if "${tools[@]}" idl "$case" "$out/idl.json" 2> "$out/stderr"; then
    : # idl.json written
  else
    rm -f "$out/idl.json"
    first_error "$out/stderr" > "$out/idl.rejected"
  fi
  if "${tools[@]}" idl2schemata "$case" "$out/schemata" 2> "$out/stderr"; then
    : # one .avsc per named type
  else
    rm -rf "$out/schemata"
    first_error "$out/stderr" > "$out/schemata.rejected"
  fi
  rm -f "$out/stderr"
  echo "$case: $(ls "$out" | tr '\n' ' ')"
done
