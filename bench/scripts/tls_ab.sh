#!/bin/bash
# Interleaved TLS echo rounds between named TLS echo servers: each started once and pinned to CPU 0,
# warmed on the load for 20 s, then ROUNDS rounds of one 3 s run each (1 s warm-up), the order
# reversed every other round, the native TLS client (tls_load) pinned to CPU 1. One line per run:
# msgs/s, server user and sys us per message, server CPU use, client CPU use and its user and sys us
# per message, latency p50.
#
# usage: tls_ab.sh ROUNDS SIZE CONNECTIONS NAME=JAR:KIND ...
#   KIND is weft (echo-server --backend epoll --tls) or netty-jdk (netty-tls-echo --provider jdk).
#   TLS_LOAD (the tls_load binary; default bench/target/classes/peers/bin/linux-amd64/tls_load) and
#   CERT_DIR (holding localhost.crt and localhost.key; default: made with openssl in a temp dir).
# example: bench/scripts/tls_ab.sh 10 1024 100 weft=bench/target/weft-bench.jar:weft \
#              netty=bench/target/weft-bench.jar:netty-jdk
set -u
ROUNDS=$1 SIZE=$2 CONNS=$3; shift 3
TL=${TLS_LOAD:-bench/target/classes/peers/bin/linux-amd64/tls_load}
D=${CERT_DIR:-}
if [ -z "$D" ]; then
  D=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$D/localhost.key" -out "$D/localhost.crt" 2>/dev/null
fi
F="-Xms256m -Xmx256m -XX:+UseParallelGC"
declare -A PORT PID SPID
NAMES=() port=9451
for arg in "$@"; do
  name=${arg%%=*} rest=${arg#*=} jar=${rest%:*} kind=${rest##*:}
  NAMES+=("$name"); PORT[$name]=$port
  case $kind in
    weft) cmd="java $F -jar $jar echo-server --backend epoll --port $port --tls --cert $D/localhost.crt --key $D/localhost.key" ;;
    netty-jdk) cmd="java $F -jar $jar netty-tls-echo --provider jdk --port $port --cert $D/localhost.crt --key $D/localhost.key" ;;
    *) echo "unknown kind $kind (weft or netty-jdk)" >&2; exit 2 ;;
  esac
  taskset -c 0 $cmd >/dev/null 2>&1 & PID[$name]=$!
  port=$((port + 1))
done
trap 'for n in "${NAMES[@]}"; do kill ${PID[$n]} 2>/dev/null; done' EXIT
sleep 10
L="--connections $CONNS --size $SIZE"
for n in "${NAMES[@]}"; do
  SPID[$n]=$(pgrep -f -n "port ${PORT[$n]}")
  taskset -c 1 "$TL" --port ${PORT[$n]} $L --duration 20 --warmup 2 --pid ${SPID[$n]} --ca "$D/localhost.crt" >/dev/null 2>&1
done
for r in $(seq 1 "$ROUNDS"); do
  order=("${NAMES[@]}")
  if [ $((r % 2)) = 0 ]; then order=(); for ((i=${#NAMES[@]}-1; i>=0; i--)); do order+=("${NAMES[$i]}"); done; fi
  for n in "${order[@]}"; do
    out=$(taskset -c 1 "$TL" --port ${PORT[$n]} $L --duration 3 --warmup 1 --pid ${SPID[$n]} --ca "$D/localhost.crt" 2>&1 | tail -1)
    python3 -c "
import json, sys
d = json.loads(sys.argv[1]); s = d['server_cpu']; c = d['client_cpu']
print('r$r', '$n'.ljust(10), str(d['connections']) + 'x' + str(d['size']), round(d['msgs_per_s']), 'user', round(s['user_us_per_msg'], 2),
      'sys', round(s['sys_us_per_msg'], 2), 'util', round(s['util'], 2), 'client', round(c['util'], 2),
      round(c['user_us_per_msg'] or 0, 2), round(c['sys_us_per_msg'] or 0, 2), 'p50', d['latency_us']['p50'])" "$out" \
      || echo "r$r $n failed: $out"
  done
done
