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
