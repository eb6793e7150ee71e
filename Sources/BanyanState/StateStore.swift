import BanyanCore

/// Which comparison found a difference: a shadow copy sent to the candidate, or a canary's copy
/// sent to legacy (`guard: {compare: true}`).
public enum DifferenceOrigin: String, Sendable, Hashable, CaseIterable {
    /// Legacy served the client; the candidate answered a copy.
    case shadow
    /// The candidate served the client in a canary; legacy answered a copy.
    case canary
}

/// One exchange that showed a difference, kept beside its ``DifferenceAggregate`` so that a
/// developer can replay the request and read both answers.
///
/// The proxy keeps the first ``SQLiteStateStore/samplesPerAggregate`` exchanges of each aggregate;
/// later ones only raise its count. `banyan diff --proxy` and the dashboard show them.
public struct DifferenceSample: Sendable, Hashable {
    /// The request's method as the client sent it (`GET`).
    public var method: String
    /// The request target as the client sent it, path and query (`/users/1?expand=team`).
    public var target: String
    /// The status of legacy's answer.
    public var legacyStatus: Int
    /// The status of the candidate's answer.
    public var candidateStatus: Int
    /// Legacy's value at the difference's place (JSON path or header) as a client would read it on
    /// the wire; nil when legacy has none there (a `body.extra`, a `header.extra`).
    public var legacyValue: String?
    /// The candidate's value at the difference's place, as a client would read it; nil when the
    /// candidate has none there (a `body.missing`, a `header.missing`).
    public var candidateValue: String?
    /// Legacy's body as text, cut at 2 KiB (2,048 bytes) with `…` after a cut.
    public var legacyBody: String
    /// The candidate's body as text, cut at 2 KiB (2,048 bytes) with `…` after a cut.
    public var candidateBody: String
    /// When the exchange was compared, in seconds since 1970.
    public var at: Double
    /// The request's `x-request-id` (as the client sent it, or as the proxy generated it).
    public var requestID: String?
    /// Legacy's header lines (`name: value`, one a line) in the order and spelling legacy sent
    /// them; empty for samples stored before the field existed.
    public var legacyHeaders: String
    /// The candidate's header lines, as ``legacyHeaders`` holds legacy's.
    public var candidateHeaders: String
    /// Which comparison found it; samples stored before the field existed are `shadow`.
    public var origin: DifferenceOrigin

    /// A sample of one exchange; every value is stored as given (the proxy cuts the bodies).
    ///
    /// - Parameters:
    ///   - requestID: the request's `x-request-id`; nil when it had none.
    ///   - legacyHeaders: legacy's header lines; empty when not known.
    ///   - candidateHeaders: the candidate's header lines; empty when not known.
    ///   - origin: which comparison found it; `shadow` unless a canary's copy did.
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
///
/// The proxy adds up what it compared in memory and merges it into the state store every 500 ms
/// (``StateStore/mergeDifferences(_:totals:)``); the store adds the counts of every proxy writing
/// to it. Only differences above `noise` are aggregated. ``key`` identifies an aggregate.
public struct DifferenceAggregate: Sendable, Hashable {
    /// The route as written in `routes:` (`GET /users/:id`).
    public var route: String
    /// What differs (`status`, `body.type`, `header.missing`, …).
    public var kind: DifferenceKind
    /// The JSON path or header name; empty for a status or whole-body difference.
    public var location: String
    /// The severity the policy gave the latest of these differences (`breaking`, `risky`,
    /// `cosmetic`); a merge keeps the newest.
    public var severity: Severity
    /// How many compared exchanges showed this difference.
    public var count: Int
    /// When it was first seen, in seconds since 1970.
    public var firstSeen: Double
    /// When it was last seen, in seconds since 1970.
    public var lastSeen: Double
    /// The diff engine's one-line explanation a developer can act on.
    public var explanation: String
    /// Why the policy changed the severity, when one of its rules did; nil otherwise.
    public var policyReason: String?
    /// A few exchanges that showed it, oldest first.
    public var samples: [DifferenceSample]

    /// An aggregate of `count` differences seen between `firstSeen` and `lastSeen`.
    ///
    /// - Parameters:
    ///   - location: the JSON path or header name; empty for a status or whole-body difference.
    ///   - policyReason: the policy's reason for the severity, or nil when no rule changed it.
    ///   - samples: the exchanges to keep as examples, oldest first; a store keeps the first
    ///     ``SQLiteStateStore/samplesPerAggregate``.
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

    /// What identifies the aggregate: route, kind and location joined by U+0001, a character none
    /// of them holds. Merges add up the aggregates with equal keys.
    public var key: String { "\(route)\u{1}\(kind.rawValue)\u{1}\(location)" }
}

/// How many shadow copies of one route were compared, and how many differed.
///
/// A merge adds these counts to the stored ones; `banyan diff --proxy` divides `differing` by
/// `compared` for a route's diff rate.
public struct ShadowTotals: Sendable, Hashable {
    /// The route as written in `routes:`.
    public var route: String
    /// Exchanges whose two answers went through the diff engine.
    public var compared: Int
    /// Exchanges with a difference above noise.
    public var differing: Int
    /// Exchanges with a difference at or above the policy's `fail_at`.
    public var failing: Int

    /// Counts for `route`; each count defaults to zero.
    public init(route: String, compared: Int = 0, differing: Int = 0, failing: Int = 0) {
        self.route = route
        self.compared = compared
        self.differing = differing
        self.failing = failing
    }
}

/// A change of a route's mode, for the audit trail (`GET /api/events`, the dashboard's event log).
///
/// Every runtime change (`banyan route set`, `banyan rollback`, the dashboard, the guard) and every
/// reload that changed a route's mode in the file records one.
public struct RouteEvent: Sendable, Hashable {
    /// The route as written in `routes:` (`GET /users/:id`).
    public var route: String
    /// The mode before the change, as stored (`legacy`, `shadow`, `canary:5`, `new`).
    public var from: String
    /// The mode after the change, as stored.
    public var to: String
    /// The reason typed with the change, or the evidence an automatic change carried.
    public var reason: String
    /// When the change was made, in seconds since 1970.
    public var at: Double
    /// Who or what made the change: `cli`, `page`, `api`, `file` or `automatic`.
    public var cause: String

    /// An event of `route` moving from mode `from` to mode `to` at `at` (seconds since 1970).
    ///
    /// - Parameter cause: who or what made the change; `api` unless given.
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
///
/// Every method throws when the store cannot be read or written: the database is unreachable,
/// refuses the statement, or the store was closed (each store's methods say which error). A
/// proxy keeps serving with the modes in force when its store fails.
public protocol StateStore: Sendable {
    /// Every runtime route change in force, by route.
    ///
    /// A change whose mode the store cannot read (written by a newer Banyan) is left out.
    func routeOverrides() async throws -> [RouteOverride]
    /// Keeps `override` (replacing an earlier one for its route) and records `event`, both or
    /// neither.
    ///
    /// - Parameters:
    ///   - override: the runtime change, with the file's mode at the time it was made.
    ///   - event: the audit entry for the change.
    func saveOverride(_ override: RouteOverride, event: RouteEvent) async throws
    /// Keeps an automatic change (the guard's) unless the route already has one to the same mode:
    /// in a fleet, several proxies' guards may trip on the same evidence at once, and the trip is
    /// recorded once.
    ///
    /// - Returns: whether the change and its event were written; false when the route already
    ///   held the guard's change to the same mode.
    func saveAutomaticOverride(_ override: RouteOverride, event: RouteEvent) async throws -> Bool
    /// Drops the runtime change for `route`, if any, and records `event` when one is given.
    ///
    /// - Parameters:
    ///   - route: the route as written in `routes:`.
    ///   - event: the audit entry, or nil to drop the change silently (the file changed the route
    ///     since the change was made, so the file's mode was in force already).
    func removeOverride(route: String, event: RouteEvent?) async throws
    /// Records a mode change that no runtime change stands for (the file changed a route).
    func saveEvent(_ event: RouteEvent) async throws
    /// The mode changes, newest first.
    ///
    /// - Parameter limit: the most events to return; a negative limit returns all of them.
    func events(limit: Int) async throws -> [RouteEvent]
    /// Adds the counts to the stored ones (keeping the earliest first and the latest last time
    /// seen, and the given severity and explanation) and keeps samples up to the sample limit.
    ///
    /// The whole batch is written in one transaction, so a failed merge adds nothing. Several
    /// proxies may merge into one store at once without losing each other's counts.
    ///
    /// - Parameters:
    ///   - aggregates: what was aggregated since the last merge, each with its new samples.
    ///   - totals: the routes' comparison counts since the last merge.
    func mergeDifferences(_ aggregates: [DifferenceAggregate], totals: [ShadowTotals]) async throws
    /// Every difference aggregate with its samples, most frequent first (then by route, kind and
    /// location).
    func differenceAggregates() async throws -> [DifferenceAggregate]
    /// The comparison counts of every route that had a shadow copy compared, by route.
    func shadowTotals() async throws -> [ShadowTotals]
    /// The phase `banyan data phase` recorded for each table, when it keeps its phases in this
    /// database (the default for both); empty when it keeps none here.
    ///
    /// - Returns: the phase's name (`LegacyOnly`, `DualWrite`, …) by table name.
    func dataPhases() async throws -> [String: String]
    /// Closes the store's connections; a store is not used after this.
    func close() async throws
}

extension StateStore {
    /// Keeps the guard's change as ``saveOverride(_:event:)`` keeps any other: with one store per
    /// proxy every automatic change is the proxy's own, so none is recorded twice.
    ///
    /// - Returns: true, always.
    public func saveAutomaticOverride(_ override: RouteOverride, event: RouteEvent) async throws -> Bool {
        try await saveOverride(override, event: event)
        return true
    }

    /// Drops the runtime change for `route`, if any, without an audit entry.
    public func removeOverride(route: String) async throws {
        try await removeOverride(route: route, event: nil)
    }
}

/// A read or write of the state store that failed: the message names the store and says the
/// cause in words (the server's own, where PostgresNIO's description hides them).
public typealias StateStoreError = BanyanError<StateStoreErrorDomain>

/// The domain of ``StateStoreError``: where its codes are declared.
public enum StateStoreErrorDomain: ErrorDomain {
    /// `StateStoreError`.
    public static let errorName = "StateStoreError"
}

/// Opens the store a `state:` value names: `sqlite:PATH`, or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (also `postgresql://`).
///
/// Either store creates its tables when they are missing, so a proxy starts against an empty file
/// or an empty database.
///
/// - Parameter location: the configuration's `state:` value.
/// - Returns: a ``SQLiteStateStore`` or a ``PostgresStateStore``, open and ready.
/// - Throws: ``StateLocationError``, naming the location and the cause, when `location` is
///   neither form or its URL does not parse, when the PostgreSQL server cannot be reached or
///   refuses the login, and when either store cannot create its tables. A SQLite file whose
///   directory or file cannot be created fails with the file system's or SQLite's own error.
public func openStateStore(_ location: String) async throws -> any StateStore {
    if location.hasPrefix("sqlite:") {
        return try await SQLiteStateStore.open(path: String(location.dropFirst("sqlite:".count)))
    }
    if PostgresURL.hasScheme(location) {
        return try await PostgresStateStore.open(try PostgresStateLocation(parsing: location))
    }
    throw StateLocationError(description: "state: '\(location)' is neither sqlite:PATH nor postgres://…")
}

extension ErrorCode where Owner == StateStoreErrorDomain {
    /// The server cannot be reached or refused the connection.
    public static let connect = Self("connect")
    /// Listening for the changes other proxies announce stopped.
    public static let notifications = Self("notifications")
    /// A read or write failed (the server refused it, or the connection was lost).
    public static let query = Self("query")
    /// The store was used after it was closed.
    public static let closed = Self("closed")
}
