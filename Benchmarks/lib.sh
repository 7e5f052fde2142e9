# Shared by the benchmarks (source it): waiting on a server a benchmark started without
# waiting for ever when that server has exited — it stops with an error and the server's log.

# alive PID LOG: fails the benchmark if process PID has exited, showing the end of LOG.
alive() {
    if ! kill -0 "$1" 2>/dev/null; then
        echo "$(basename "$0"): the server it started (pid $1) has exited; the end of its log ($2):" >&2
        tail -20 "$2" >&2 || true
        exit 1
    fi
}

# wait_for_dicom PID PORT LOG: until LIFEBOAT answers a C-ECHO on PORT (or PID exits).
wait_for_dicom() {
    until TCP_NODELAY=1 /usr/bin/echoscu -aec LIFEBOAT 127.0.0.1 "$2" 2>/dev/null; do alive "$1" "$3"; sleep 0.1; done
}

# wait_for_port PID PORT LOG: until something listens on PORT (or PID exits).
wait_for_port() {
    until (echo >"/dev/tcp/127.0.0.1/$2") 2>/dev/null; do alive "$1" "$3"; sleep 0.1; done
}

# prepare_s3_benchmark: Python with moto and boto3, and a release lifeboat (sets lifeboat).
prepare_s3_benchmark() {
    Scripts/build-deps.sh python3
    python3 -c 'import moto, boto3' 2>/dev/null || python3 -m pip install --quiet 'moto[server]==5.2.1' boto3
    swift build -c release --product lifeboat >/dev/null
    lifeboat=.build/release/lifeboat
}

# start_moto WORK BUCKET: an unauthenticated moto on a free port, the bucket made in it; sets
# moto (its pid) and endpoint, and the keys boto3 and lifeboat read from the environment.
start_moto() {
    local port=$((20000 + RANDOM % 10000))
    python3 -m moto.server -p "$port" >"$1/moto.log" 2>&1 &
    moto=$!
    wait_for_port "$moto" "$port" "$1/moto.log"
    export AWS_ACCESS_KEY_ID=benchmark AWS_SECRET_ACCESS_KEY=benchmark
    endpoint="http://127.0.0.1:$port"
    python3 -c "import boto3; boto3.client('s3', endpoint_url='$endpoint', region_name='us-east-1').create_bucket(Bucket='$2')"
}
