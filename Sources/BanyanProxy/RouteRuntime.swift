import BanyanCore

/// One configured route as the data plane sees it: its configuration, its current mode and its counters.
public final class RouteRuntime: Sendable {
    public let index: Int
    public let config: RouteConfig
    public let mode: RouteMode
    /// The mode the file gives, to show beside a runtime change.
    public let fileMode: RouteMode
    public let override: RouteOverride?
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
