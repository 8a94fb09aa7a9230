# Sourced by the make targets: where this checkout's demo cluster lives.
checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Inside the checkout (git-ignored) when the postgres user can reach it, else a per-checkout
# directory under /tmp named after the checkout path.
demo_cluster_dir() {
    if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$checkout" 2>/dev/null; then
        echo "$checkout/.pgdata"
    else
        echo "/tmp/gaz-$(echo -n "$checkout" | md5sum | cut -c1-10)"
    fi
}
