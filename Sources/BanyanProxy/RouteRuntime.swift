import BanyanCore

/// One configured route as the data plane sees it: its configuration, its current mode and its counters.
///
/// A routing change builds new ones (sharing the counters); a request keeps the one it was routed
/// with, so a change never alters a request in flight.
public final class RouteRuntime: Sendable {
    /// The route's position in `routes:`, from 0; the first match wins.
    public let index: Int
    /// The route as configured (pattern, sticky key, shadow settings, guard, …), after a reload
    /// the file's new values.
    public let config: RouteConfig
    /// The mode in force: the runtime change's when one is in force, otherwise the file's.
    public let mode: RouteMode
    /// The mode the file gives, to show beside a runtime change.
    public let fileMode: RouteMode
    /// The runtime change in force (`banyan route set`, `banyan rollback`, the guard); nil when
    /// the file's mode is in force, including when the file changed the route since the change
    /// was made.
    public let override: RouteOverride?
    /// The route's live counters and guard; the same object across routing changes, so counts
    /// survive a mode change, and a reload that keeps the route as written.
    public let stats: RouteStats
    /// Whether the candidate's answers to safe requests are compared with legacy's answer to a
    /// copy (`guard: {compare: true}` on a route in `canary`); worked out once per routing change,
    /// so a route without it pays one branch a request.
    let compares: Bool

    init(index: Int, config: RouteConfig, mode: RouteMode, override: RouteOverride?, stats: RouteStats) {
        self.index = index
        self.config = config
        self.mode = mode
        if case .canary = mode {
            compares = config.guardSettings.enabled && config.guardSettings.compare
        } else {
            compares = false
        }
        self.fileMode = config.mode
        self.override = override
        self.stats = stats
    }
}
