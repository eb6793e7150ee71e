/// A runtime change to one route's mode (`banyan route set`, `banyan rollback`), kept in the
/// state database so that it survives a restart.
public struct RouteOverride: Sendable, Hashable {
    /// The route as written in `routes:` (`GET /users/:id`).
    public var route: String
    /// The mode the route runs in since the change.
    public var mode: RouteMode
    /// What the file said for this route when the change was made.
    public var fileMode: RouteMode
    /// Why: `rollback`, `route set`.
    public var reason: String
    /// Seconds since 1970.
    public var changedAt: Double

    /// Creates a record of one runtime change.
    ///
    /// - Parameters:
    ///   - route: The route as written in `routes:` (`GET /users/:id`).
    ///   - mode: The mode set at runtime.
    ///   - fileMode: The file's mode for the route at the time, which tells later whether the file changed since.
    ///   - reason: What made the change (`rollback`, `route set`).
    ///   - changedAt: When, in seconds since 1970.
    public init(route: String, mode: RouteMode, fileMode: RouteMode, reason: String, changedAt: Double) {
        self.route = route
        self.mode = mode
        self.fileMode = fileMode
        self.reason = reason
        self.changedAt = changedAt
    }
}

/// Which mode a route runs in when the file and a runtime change disagree.
///
/// A runtime change wins over the file it was made against: a rollback at 3 a.m. is not undone
/// by a restart or a SIGHUP that re-reads the same file. Once the file's own value for the route
/// changes, the file is the newer decision and wins; the runtime change is then dropped.
public enum ModeResolution {
    /// The mode to run, and whether the override is out of date (the file changed since).
    public static func effectiveMode(file: RouteMode, override: RouteOverride?) -> (mode: RouteMode, stale: Bool) {
        guard let override else { return (file, false) }
        if override.fileMode == file { return (override.mode, false) }
        return (file, true)
    }
}

extension RouteMode {
    /// The form kept in the state database and sent by the admin API: `legacy`, `shadow`,
    /// `canary:25`, `new`.
    public var storageText: String {
        if case .canary(let percent) = self { return "canary:\(formatPercent(percent))" }
        return name
    }

    /// Reads ``storageText``, or a mode name with a separate percentage (`canary`, `25`).
    public init?(storageText text: String, percent: Double? = nil) {
        switch text {
        case "legacy": self = .legacy
        case "shadow": self = .shadow
        case "new": self = .new
        case "canary":
            guard let percent, (0...100).contains(percent) else { return nil }
            self = .canary(percent: percent)
        default:
            guard text.hasPrefix("canary:"), let value = Double(text.dropFirst("canary:".count)),
                (0...100).contains(value)
            else { return nil }
            self = .canary(percent: value)
        }
    }
}

/// Reads the value of one cookie from a `Cookie` header (`a=1; session=abc`).
public func cookieValue(named name: String, in header: String) -> String? {
    for pair in header.split(separator: ";") {
        let trimmed = pair.drop { $0 == " " }
        guard let equals = trimmed.firstIndex(of: "=") else { continue }
        if trimmed[..<equals] == name {
            var value = trimmed[trimmed.index(after: equals)...]
            while value.last == " " { value.removeLast() }
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                value = value.dropFirst().dropLast()
            }
            return String(value)
        }
    }
    return nil
}
