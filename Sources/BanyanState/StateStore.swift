import BanyanCore

/// Which comparison found a difference: a shadow copy sent to the candidate, or a canary's copy
/// sent to legacy (`guard: {compare: true}`).
public enum DifferenceOrigin: String, Sendable, Hashable, CaseIterable {
    /// Legacy served the client; the candidate answered a copy.
    case shadow
    /// The candidate served the client in a canary; legacy answered a copy.
    case canary
}

/// One request whose shadow answer differed, kept as an example of a difference.
public struct DifferenceSample: Sendable, Hashable {
    public var method: String
    public var target: String
    public var legacyStatus: Int
    public var candidateStatus: Int
    /// The differing values as a client would read them.
    public var legacyValue: String?
    public var candidateValue: String?
    /// The bodies, cut at 2 KiB.
    public var legacyBody: String
    public var candidateBody: String
    /// Seconds since 1970.
    public var at: Double
    /// The request's `x-request-id` (as the client sent it, or as the proxy generated it).
    public var requestID: String?
    /// Each side's header lines (`name: value`, one a line), as the upstream sent them.
    public var legacyHeaders: String
    public var candidateHeaders: String
    /// Which comparison found it; samples stored before the field existed are `shadow`.
    public var origin: DifferenceOrigin

    public init(
        method: String, target: String, legacyStatus: Int, candidateStatus: Int, legacyValue: String?,
        candidateValue: String?, legacyBody: String, candidateBody: String, at: Double, requestID: String? = nil,
        legacyHeaders: String = "", candidateHeaders: String = "", origin: DifferenceOrigin = .shadow
    ) {
        self.method = method
        self.target = target
        self.legacyStatus = legacyStatus
        self.candidateStatus = candidateStatus
        self.legacyValue = legacyValue
        self.candidateValue = candidateValue
        self.legacyBody = legacyBody
        self.candidateBody = candidateBody
        self.at = at
        self.requestID = requestID
        self.legacyHeaders = legacyHeaders
        self.candidateHeaders = candidateHeaders
        self.origin = origin
    }
}

/// Shadow differences of one kind at one place of one route, counted over time.
public struct DifferenceAggregate: Sendable, Hashable {
    public var route: String
    public var kind: DifferenceKind
    /// The JSON path or header name; empty for a status or whole-body difference.
    public var location: String
    public var severity: Severity
    public var count: Int
    public var firstSeen: Double
    public var lastSeen: Double
    public var explanation: String
    public var policyReason: String?
    /// A few exchanges that showed it, oldest first.
    public var samples: [DifferenceSample]

    public init(
        route: String, kind: DifferenceKind, location: String, severity: Severity, count: Int, firstSeen: Double,
        lastSeen: Double, explanation: String, policyReason: String? = nil, samples: [DifferenceSample] = []
    ) {
        self.route = route
        self.kind = kind
        self.location = location
        self.severity = severity
        self.count = count
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.explanation = explanation
        self.policyReason = policyReason
        self.samples = samples
    }

    /// What identifies the aggregate.
    public var key: String { "\(route)\u{1}\(kind.rawValue)\u{1}\(location)" }
}

/// How many shadow copies of one route were compared, and how many differed.
public struct ShadowTotals: Sendable, Hashable {
    public var route: String
    public var compared: Int
    /// Exchanges with a difference above noise.
    public var differing: Int
    /// Exchanges with a difference at or above the policy's `fail_at`.
    public var failing: Int

    public init(route: String, compared: Int = 0, differing: Int = 0, failing: Int = 0) {
        self.route = route
        self.compared = compared
        self.differing = differing
        self.failing = failing
    }
}

/// A change of mode, for the audit trail.
public struct RouteEvent: Sendable, Hashable {
    public var route: String
    public var from: String
    public var to: String
    /// The reason typed with the change, or the evidence an automatic change carried.
    public var reason: String
    public var at: Double
    /// Who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    public var cause: String

    public init(route: String, from: String, to: String, reason: String, at: Double, cause: String = "api") {
        self.route = route
        self.from = from
        self.to = to
        self.reason = reason
        self.at = at
        self.cause = cause
    }
}

/// One proxy of a fleet sharing a PostgreSQL state, as it last reported.
public struct FleetMember: Sendable, Hashable, Codable {
    /// The proxy's name (`host:port` of its client listener, unless set).
    public var proxy: String
    /// The version of the route state it applied.
    public var version: Int64
    /// When it last reported, in seconds since 1970.
    public var seenAt: Double
    /// When it started, in seconds since 1970.
    public var startedAt: Double

    /// A proxy's report.
    public init(proxy: String, version: Int64, seenAt: Double, startedAt: Double) {
        self.proxy = proxy
        self.version = version
        self.seenAt = seenAt
        self.startedAt = startedAt
    }
}

/// Where Banyan keeps what must outlive a process: runtime route changes, the audit trail of
/// mode changes, and shadow differences.
///
/// Two stores implement it: ``SQLiteStateStore``, an embedded file for one proxy (the default),
/// and ``PostgresStateStore``, tables in a PostgreSQL schema that several proxies share. A proxy
/// reads the overrides when it starts; the differences of every proxy writing to one store add up.
public protocol StateStore: Sendable {
    /// Every runtime route change in force.
    func routeOverrides() async throws -> [RouteOverride]
    /// Keeps `override` (replacing an earlier one for its route) and records the event.
    func saveOverride(_ override: RouteOverride, event: RouteEvent) async throws
    /// Keeps an automatic change (the guard's) unless the route already has one to the same mode:
    /// in a fleet, several proxies' guards may trip on the same evidence at once, and the trip is
    /// recorded once. Returns whether it was written.
    func saveAutomaticOverride(_ override: RouteOverride, event: RouteEvent) async throws -> Bool
    /// Drops the runtime change for `route`, if any, and records `event` when one is given.
    func removeOverride(route: String, event: RouteEvent?) async throws
    /// Records a mode change that no runtime change stands for (the file changed a route).
    func saveEvent(_ event: RouteEvent) async throws
    /// The mode changes, newest first.
    func events(limit: Int) async throws -> [RouteEvent]
    /// Adds the counts to the stored ones (keeping the earliest first and the latest last time
    /// seen, and the given severity and explanation) and keeps samples up to the sample limit.
    func mergeDifferences(_ aggregates: [DifferenceAggregate], totals: [ShadowTotals]) async throws
    /// Every difference aggregate, most frequent first.
    func differenceAggregates() async throws -> [DifferenceAggregate]
    func shadowTotals() async throws -> [ShadowTotals]
    /// The phase `banyan data phase` recorded for each table, when it keeps its phases in this
    /// database (the default for both); empty when it keeps none here.
    func dataPhases() async throws -> [String: String]
    func close() async throws
}

extension StateStore {
    /// One store, one proxy: every automatic change is its own.
    public func saveAutomaticOverride(_ override: RouteOverride, event: RouteEvent) async throws -> Bool {
        try await saveOverride(override, event: event)
        return true
    }

    /// Drops the runtime change for `route`, if any.
    public func removeOverride(route: String) async throws {
        try await removeOverride(route: route, event: nil)
    }
}

/// A read or write of the state store that failed: the message names the store and says the
/// cause in words (the server's own, where PostgresNIO's description hides them).
public struct StateStoreError: CodedError, Sendable {
    /// What went wrong, broadly.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable, Hashable {
            case connect, notifications, query, closed
        }
        fileprivate let value: Value
        /// The server cannot be reached or refused the connection.
        public static let connect = Code(value: .connect)
        /// Listening for the changes other proxies announce stopped.
        public static let notifications = Code(value: .notifications)
        /// A read or write failed (the server refused it, or the connection was lost).
        public static let query = Code(value: .query)
        /// The store was used after it was closed.
        public static let closed = Code(value: .closed)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    /// An error with `message` for the user, made by `cause` if there is one.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}

/// Opens the store a `state:` value names: `sqlite:PATH`, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (also `postgresql://`).
public func openStateStore(_ location: String) async throws -> any StateStore {
    if location.hasPrefix("sqlite:") {
        return try await SQLiteStateStore.open(path: String(location.dropFirst("sqlite:".count)))
    }
    if PostgresURL.hasScheme(location) {
        return try await PostgresStateStore.open(try PostgresStateLocation(parsing: location))
    }
    throw StateLocationError(description: "state: '\(location)' is neither sqlite:PATH nor postgres://…")
}
