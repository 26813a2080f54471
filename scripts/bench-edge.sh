#!/usr/bin/env bash
# The edge vs nginx on loopback, in one run, on the same chunk files:
#   - throughput for whole 1 MiB chunks at 64 connections;
#   - p50/p99 latency for 16 KiB ranges at 64 connections.
# The edge runs with tickets and receipts on (the load generator signs a
# receipt per MiB received, as the real client does); nginx gets the same
# requests, signed the same way, and ignores the headers, so the load generator
# costs the same in both runs on these shared cores.
#   SIZE_MIB (default 64), SECONDS_EACH (default 10), CONNS (default 64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

pod_build_and_prune release pod_release_build
bin="$CARGO_TARGET_DIR/release"
size=${SIZE_MIB:-64} secs=${SECONDS_EACH:-10} conns=${CONNS:-64}
tmp=$(mktemp -d /tmp/pod-bench-edge.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT

head -c $((size << 20)) /dev/urandom >"$tmp/object"
id=$("$bin/pod" publish "$tmp/object" 2>/dev/null)
chunks=$size
mkdir -p "$tmp/www/c/$id"
split -b 1048576 -a 6 -d "$tmp/object" "$tmp/www/c/$id/x"
for f in "$tmp/www/c/$id"/x*; do n=${f##*/x}; mv "$f" "$tmp/www/c/$id/$((10#$n))"; done
cp "$tmp/object" "$tmp/www/object"
# nginx's workers run unprivileged: let them read the files (mktemp makes 0700).
chmod 755 "$tmp"
chmod -R a+rX "$tmp/www"

cat >"$tmp/nginx.conf" <<NGX
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/ngx-body; proxy_temp_path $tmp/ngx-proxy;
  fastcgi_temp_path $tmp/ngx-fcgi; uwsgi_temp_path $tmp/ngx-uwsgi; scgi_temp_path $tmp/ngx-scgi;
  server { listen 127.0.0.1:18080; root $tmp/www;
    location /c/ { default_type application/octet-stream; add_header Cache-Control "public, max-age=31536000, immutable"; } }
}
NGX
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp"

genesis=$(printf '07%.0s' $(seq 32)); rseed=$(printf '01%.0s' $(seq 32)); eseed=$(printf '0a%.0s' $(seq 32))
rpub=$("$bin/pod" key --seed "$rseed")
epub=$("$bin/pod" key --seed "$eseed")
cat >"$tmp/edge.toml" <<TOML
listen = "127.0.0.1:18700"
admin_listen = "127.0.0.1:18701"
data_dir = "$tmp/edge"
key_seed = "$eseed"
genesis = "$genesis"
reporters = ["$rpub"]
cache_quota = $(((size + 16) << 20))
min_free = 0
credit_bytes = 4194304
allow_private_origins = true       # the origin is on loopback
TOML
RUST_LOG=warn "$bin/pod-edge" run --config "$tmp/edge.toml" >"$tmp/edge.out" 2>"$tmp/edge.log" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:18700/status && break; sleep 0.1; done
curl -s -X POST --data-binary @"$tmp/object.manifest" -H "x-pod-origin: http://127.0.0.1:18080/object" \
  -H "Authorization: Bearer $(cat "$tmp/edge/admin.token")" \
  "http://127.0.0.1:18701/hold/$id?prefetch=1" >/dev/null
for _ in $(seq 300); do
  n=$(curl -s http://127.0.0.1:18700/status | sed -n 's/.*"chunks":\([0-9]*\).*/\1/p')
  [ "${n:-0}" -ge "$chunks" ] && break; sleep 0.1
done

sign=(--reporter-seed "$rseed" --edge "$epub" --content "$id" --genesis "$genesis")
run() { "$bin/pod-loadgen" --connections "$conns" --seconds "$secs" --chunks "$chunks" "$@"; }
echo "== $size MiB of 1 MiB chunks, $conns connections, $secs s each, same machine (2 cores shared with the load generator)"
n1=$(run --addr 127.0.0.1:18080 --prefix "/c/$id" "${sign[@]}")
e1=$(run --addr 127.0.0.1:18700 --prefix "/c/$id" "${sign[@]}")
n2=$(run --addr 127.0.0.1:18080 --prefix "/c/$id" --range 16384 "${sign[@]}")
e2=$(run --addr 127.0.0.1:18700 --prefix "/c/$id" --range 16384 "${sign[@]}")
python3 - "$n1" "$e1" "$n2" "$e2" <<'PY'
import json, sys
n1, e1, n2, e2 = (json.loads(a) for a in sys.argv[1:])
print(f"{'':28}{'nginx':>12}{'edge':>12}{'edge/nginx':>12}")
print(f"{'1 MiB chunks MiB/s':28}{n1['mib_per_s']:>12.0f}{e1['mib_per_s']:>12.0f}{e1['mib_per_s']/n1['mib_per_s']:>12.2f}")
print(f"{'16 KiB ranges req/s':28}{n2['req_per_s']:>12.0f}{e2['req_per_s']:>12.0f}{e2['req_per_s']/n2['req_per_s']:>12.2f}")
print(f"{'16 KiB ranges p50 us':28}{n2['p50_us']:>12}{e2['p50_us']:>12}{e2['p50_us']/max(n2['p50_us'],1):>12.2f}")
print(f"{'16 KiB ranges p99 us':28}{n2['p99_us']:>12}{e2['p99_us']:>12}{e2['p99_us']/max(n2['p99_us'],1):>12.2f}")
PY
