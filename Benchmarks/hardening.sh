#!/usr/bin/env bash
# Request smuggling side by side: Banyan, nginx (Debian's 1.22, one worker) and HAProxy (2.6), each in
# front of its own recording backend (Benchmarks/hardening/recorder.js, Node's own parser), fed the
# corpus of Benchmarks/hardening/corpus.py (about 190 raw requests from the HTTP Garden, PortSwigger's
# DesyncBox, smuggler.py, llhttp's tests and h2csmuggler) one payload per fresh connection. Prints,
# per family, how many payloads each proxy refused, repaired, forwarded cleanly, desynchronised or
# falsely refused, then every DESYNC and FALSE-REJECT by id. See Benchmarks/hardening/runner.py for
# the outcomes; ../shared/reference/proxy-hardening.md section 10 for the method.
#
#   Benchmarks/hardening.sh [BANYAN_BINARY] [--json FILE] [--only SUBSTRING]
#
# BANYAN_BINARY defaults to a release build of this checkout (swift build -c release). nginx and
# haproxy are installed with apt-get when missing; Node 20 and Python 3 must be present. Exit status
# 1 when Banyan has a DESYNC or FALSE-REJECT, or refuses or repairs fewer payloads than the better
# of nginx and HAProxy in some family. Everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail

banyan=""
rest=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --json) rest+=("$1" "$(realpath -m "${2:?$1 needs a file}")"); shift 2 ;;
        --only) rest+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
        -*) echo "hardening.sh: unknown option $1" >&2; exit 2 ;;
        *) if [ -z "$banyan" ]; then banyan=$(realpath -m "$1"); shift; else echo "hardening.sh: one binary only" >&2; exit 2; fi ;;
    esac
done

cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"
command -v node >/dev/null 2>&1 || { echo "hardening.sh: node (20) is needed for the recording backend" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "hardening.sh: python3 is needed for the runner" >&2; exit 2; }

if [ -z "$banyan" ]; then
    echo "building banyan (release)"
    swift build -c release --product banyan 2>&1 | grep -E "error|Compiling banyan|Build complete" || true
    banyan=$(swift build -c release --show-bin-path)/banyan
fi
[ -x "$banyan" ] || { echo "hardening.sh: no executable banyan at $banyan" >&2; exit 2; }

echo "versions: $(nginx -v 2>&1 | head -1); $(haproxy -v 2>&1 | head -1 | cut -d' ' -f1-3); node $(node -v)"
dpkg-query -W -f='  dpkg: ${Package} ${Version}\n' nginx nginx-light nginx-core haproxy 2>/dev/null || true
exec python3 Benchmarks/hardening/runner.py --banyan "$banyan" "${rest[@]}"
