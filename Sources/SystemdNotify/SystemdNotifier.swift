import CSystemd

/// sd_notify(3) for `Type=notify` units: READY=1, STATUS=…, WATCHDOG=1. Without systemd (no NOTIFY_SOCKET)
/// every call is a no-op and libsystemd is not even loaded, so the kubelet behaves the same everywhere.
public enum SystemdNotifier {
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        ks_sd_notify(0, state) > 0
    }

    /// The watchdog interval in seconds when the unit sets WatchdogSec, else nil.
    public static func watchdogInterval() -> Double? {
        var usec: UInt64 = 0
        guard ks_sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return Double(usec) / 1_000_000
    }
}
