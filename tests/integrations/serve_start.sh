# Sourced by the serve_*.sh integration tests, once $arbor is built: a scratch folder
# ($work), removed on exit with the server it started.
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# start_serve TRIES PAUSE ARGS…: runs `arbor serve ARGS…` in the background (stderr in
# $work/serve.log) and waits up to TRIES × PAUSE seconds for it to listen, less if it exits;
# sets $server and $address, or fails with the server's log.
start_serve() {
    local tries=$1 pause=$2
    shift 2
    "$arbor" serve "$@" 2> "$work/serve.log" &
    server=$!
    for _ in $(seq "$tries"); do
        grep -q "serving on" "$work/serve.log" 2>/dev/null && break
        kill -0 "$server" 2>/dev/null || break
        sleep "$pause"
    done
    address=$(sed -n 's|^arbor: serving on \(http://[^ ]*\).*|\1|p' "$work/serve.log")
    [ -n "$address" ] || { cat "$work/serve.log" >&2; echo "the server did not start" >&2; exit 1; }
}
