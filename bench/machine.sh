# Sourced by the benchmark scripts: checks about the machine that make figures trustworthy.

# With the kernel's session autogroups on, `nice` ranks processes only within their session:
# a helper's `nice 19` build in another session takes an equal share of the cores (measured on
# 2026-12-07: 93% of a core against two busy loops, 1% with grouping off). Says so on stderr.
warn_if_nice_is_ignored() {
    local setting=/proc/sys/kernel/sched_autogroup_enabled
    if [ "$(cat "$setting" 2>/dev/null)" = 1 ]; then
        echo "warning: $setting is 1, so niced jobs in other sessions compete as equals with this" \
             "benchmark; 'echo 0 > $setting' (as root) before measuring beside them" >&2
    fi
}
