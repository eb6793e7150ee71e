# What the benchmark scripts share; sourced by them, not run.
#
#   WAIT_PORT_TRIES   how many 50 ms tries wait_port makes (default 200: 10 s)
#   WAIT_PORT_STATUS  the exit status when nothing listens by then (default 1)

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until something accepts connections on 127.0.0.1:$1; ends the script when nothing does.
wait_port() {
    for _ in $(seq 1 "${WAIT_PORT_TRIES:-200}"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    exit "${WAIT_PORT_STATUS:-1}"
}
