import BanyanCore
import Foundation

/// The decision for one route.
public enum PlanVerdict: String, Sendable, Hashable, CaseIterable {
    case migrateNow = "migrate now"
    case later = "later"
    case dont = "don't"

    var key: String {
        switch self {
        case .migrateNow: "migrate_now"
        case .later: "later"
        case .dont: "dont"
        }
    }
}

/// What the measurements say a route's time goes to.
public enum RouteProfile: String, Sendable, Hashable {
    /// Most of its time is CPU in the legacy process: a rewrite can cut it.
    case cpuBound = "cpu-bound"
    /// Most of its time is waiting (database, network): a rewrite will not cut it.
    case ioBound = "io-bound"
    /// So little CPU and latency that no rewrite could show a measurable win.
    case trivial
    /// Neither clearly.
    case mixed
    /// No CPU figure to tell.
    case unknown
}

/// The rules `banyan plan` applies, with their defaults (docs/inventory.md explains each).
public struct PlanRules: Sendable, Hashable {
    /// CPU-bound: at least this share of the median request's time is CPU…
    public var cpuBoundShare = 0.3
    /// …and at least this much CPU per request, in ms.
    public var cpuBoundMinimumMilliseconds = 1.0
    /// CPU-bound whatever its share (unless I/O-bound): at least this much CPU per request, in ms.
    public var cpuBoundAnyShareMilliseconds = 2.0
    /// I/O-bound: less than this share is CPU…
    public var ioBoundShare = 0.2
    /// …with a median of at least this many ms (waiting worth talking about).
    public var ioBoundMinimumMilliseconds = 2.0
    /// Trivial: less CPU than this per request, in ms…
    public var trivialCpuMilliseconds = 0.5
    /// …and a p99 under this many ms.
    public var trivialP99Milliseconds = 10.0
    /// Churning: at least this many commits to the route's handler files…
    public var churnCommits = 6
    /// …within this many days.
    public var churnDays = 90
    /// How much faster the CPU part is expected to get in the rewrite, for the goal.
    public var expectedSpeedup = 4.0

    public init() {}
}

/// The git history of a route's handler files.
public struct RouteChurn: Sendable, Hashable {
    public var files: [String]
    /// Commits that touched them within the window.
    public var commits: Int
    public var days: Int

    public init(files: [String], commits: Int, days: Int) {
        self.files = files
        self.commits = commits
        self.days = days
    }

    /// Counts the commits of `repository` that touched `files` in the last `days` days (`git log`).
    public static func measure(repository: String, files: [String], days: Int) throws(AuditInputError) -> RouteChurn {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repository, "log", "--since=\(days).days", "--format=%H", "--"] + files
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw AuditInputError("cannot run git: \(error.localizedDescription)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AuditInputError(
                "git log in \(repository) failed: \(errorText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let commits = String(decoding: data, as: UTF8.self).split(separator: "\n").count
        return RouteChurn(files: files, commits: commits, days: days)
    }
}

/// The plan for one route.
public struct RoutePlan: Sendable, Hashable {
    public var route: String
    public var verdict: PlanVerdict
    public var profile: RouteProfile
    /// Why, in a sentence a reviewer can check against the figures.
    public var reason: String
    /// A measurable goal to write down (for `migrate now`), or what would change the verdict.
    public var goal: String?
    /// The slice number in the migration order (1 first), for routes to migrate now or later.
    public var order: Int?
    public var measurement: RouteMeasurement?
    public var churn: RouteChurn?
    /// Dependencies its handler files use that have no equivalent in the target language.
    public var blockingDependencies: [String]
}

/// Routes ranked for migration: hot, stable, CPU-bound first; trivial, I/O-bound and churning
/// routes held back with the reason.
public struct MigrationPlan: Sendable {
    public var routes: [RoutePlan]
    public var rules: PlanRules
    public var target: TargetLanguage
    public var measurementSource: String?
    public var conditions: String?
    /// Gaps the audit found anywhere in the app (dependencies with no equivalent, or to keep in Node).
    public var dependencyGaps: [String]

    /// Plans every measured route (and every route in `routes` without figures, as not measured).
    public init(
        measurements: MeasurementSet, routes extraRoutes: [String] = [], churn: [String: RouteChurn] = [:],
        handlerDependencies: [String: [String]] = [:], audit: DependencyAudit? = nil, target: TargetLanguage = .rust,
        rules: PlanRules = PlanRules()
    ) {
        self.rules = rules
        self.target = target
        self.measurementSource = measurements.source
        self.conditions = measurements.conditions
        let gaps = audit?.gaps(for: target) ?? []
        self.dependencyGaps = gaps.map(\.name)
        let gapNames = Set(gaps.map(\.name))

        var plans: [RoutePlan] = []
        var names = measurements.routes.map(\.route)
        for route in extraRoutes where !names.contains(route) { names.append(route) }
        for name in names {
            let measurement = measurements.routes.first { $0.route == name }
            let blocking = (handlerDependencies[name] ?? []).filter { gapNames.contains($0) }
            plans.append(
                Self.decide(
                    route: name, measurement: measurement, churn: churn[name], blocking: blocking, rules: rules))
        }
        // Order: migrate now, then later; within each, the most CPU time saved per second of traffic
        // (or per request when traffic is unknown) first. Don't routes get no slice number.
        let ranked = plans.enumerated().sorted { lhs, rhs in
            let left = (Self.rank(lhs.element.verdict), -Self.weight(lhs.element), lhs.offset)
            let right = (Self.rank(rhs.element.verdict), -Self.weight(rhs.element), rhs.offset)
            return left < right
        }.map(\.element)
        var order = 1
        self.routes = ranked.map { plan in
            var plan = plan
            if plan.verdict != .dont {
                plan.order = order
                order += 1
            }
            return plan
        }
    }

    private static func rank(_ verdict: PlanVerdict) -> Int {
        switch verdict {
        case .migrateNow: 0
        case .later: 1
        case .dont: 2
        }
    }

    /// CPU seconds per second the route costs (with traffic), else CPU seconds per request.
    private static func weight(_ plan: RoutePlan) -> Double {
        guard let measurement = plan.measurement else { return -1 }
        let cpu = measurement.cpuSecondsPerRequest ?? 0
        if let rps = measurement.requestsPerSecond { return cpu * rps * 1000 + measurement.p99Milliseconds / 1e6 }
        return cpu + measurement.p99Milliseconds / 1e9
    }

    static func profile(of measurement: RouteMeasurement, rules: PlanRules) -> RouteProfile {
        guard let cpu = measurement.cpuSecondsPerRequest, let share = measurement.cpuShare else { return .unknown }
        let cpuMs = cpu * 1000
        // Waiting first: a route that mostly waits is I/O-bound however much CPU its requests cost.
        if share < rules.ioBoundShare && measurement.p50Milliseconds >= rules.ioBoundMinimumMilliseconds {
            return .ioBound
        }
        if share >= rules.cpuBoundShare && cpuMs >= rules.cpuBoundMinimumMilliseconds { return .cpuBound }
        // Enough CPU per request is a win whatever else the latency holds (on a busy machine the
        // measured latency also holds the client's own wait for a CPU).
        if cpuMs >= rules.cpuBoundAnyShareMilliseconds { return .cpuBound }
        if cpuMs < rules.trivialCpuMilliseconds && measurement.p99Milliseconds < rules.trivialP99Milliseconds {
            return .trivial
        }
        return .mixed
    }

    static func decide(
        route: String, measurement: RouteMeasurement?, churn: RouteChurn?, blocking: [String], rules: PlanRules
    ) -> RoutePlan {
        guard let measurement else {
            return RoutePlan(
                route: route, verdict: .later, profile: .unknown,
                reason: "not measured: no latency or CPU figures for this route",
                goal: "measure it (banyan plan --measure, banyan bench or the proxy's stats) before deciding",
                measurement: nil, churn: churn, blockingDependencies: blocking)
        }
        let profile = Self.profile(of: measurement, rules: rules)
        let cpuMs = (measurement.cpuSecondsPerRequest ?? 0) * 1000
        let p50 = formatMilliseconds(measurement.p50Milliseconds)
        let p99 = formatMilliseconds(measurement.p99Milliseconds)
        let cpuText = measurement.cpuSecondsPerRequest.map { _ in formatMilliseconds(cpuMs) } ?? "?"
        let share = measurement.cpuShare.map { "\(Int(($0 * 100).rounded()))%" } ?? "?"
        // Time spent waiting for a CPU (other load on the machine) is left out of the share.
        let waitNote =
            measurement.cpuWaitSecondsPerRequest.flatMap { $0 >= 0.0001 ? $0 : nil }.map {
                ", not counting \(formatMilliseconds($0 * 1000)) waiting for a CPU"
            } ?? ""
        var plan = RoutePlan(
            route: route, verdict: .later, profile: profile, reason: "", goal: nil, measurement: measurement,
            churn: churn, blockingDependencies: blocking)

        switch profile {
        case .ioBound:
            plan.verdict = .dont
            plan.reason =
                "I/O-bound: \(share) of its \(p50) median is CPU (\(cpuText) per request)\(waitNote); the rest is "
                + "waiting (database, network), which a rewrite does not shorten"
            plan.goal = "cut the wait where it is (query, index, pool, cache) before considering a rewrite"
            return plan
        case .trivial:
            plan.verdict = .dont
            plan.reason =
                "trivial: \(cpuText) CPU per request and a p99 of \(p99); no measurable win, and never a first slice"
            plan.goal = "leave it on legacy; it moves with its neighbours at the end, if ever"
            return plan
        case .unknown:
            plan.verdict = .later
            plan.reason = "no CPU figure: cannot tell CPU-bound from I/O-bound (p50 \(p50), p99 \(p99))"
            plan.goal = "measure CPU seconds per request (banyan plan --measure reads /proc) before deciding"
            return plan
        case .cpuBound, .mixed:
            break
        }
        if let churn, churn.commits >= rules.churnCommits {
            plan.verdict = .later
            plan.reason =
                "contract still churning: \(churn.commits) commits to its handler files in \(churn.days) days "
                + "(\(profile == .cpuBound ? "CPU-bound" : "mixed") otherwise: \(cpuText) CPU per request)"
            plan.goal = "migrate once fewer than \(rules.churnCommits) commits land in \(churn.days) days"
            return plan
        }
        if !blocking.isEmpty {
            plan.verdict = .later
            plan.reason =
                "its handlers use \(blocking.joined(separator: ", ")), which has no equivalent: keep that part in a "
                + "Node sidecar or call the vendor's REST API first"
            plan.goal = "replace \(blocking.joined(separator: ", ")) behind an HTTP call, then migrate"
            return plan
        }
        if profile == .mixed {
            plan.verdict = .later
            plan.reason =
                "mixed: \(share) of its \(p50) median is CPU (\(cpuText) per request)\(waitNote); a rewrite would "
                + "win little"
            plan.goal = "migrate after the CPU-bound routes, when its slice is convenient"
            return plan
        }
        plan.verdict = .migrateNow
        let traffic = measurement.requestsPerSecond.map { ", \(formatNumber($0)) requests/s" } ?? ""
        plan.reason =
            "CPU-bound: \(share) of its \(p50) median is CPU (\(cpuText) per request\(traffic))\(waitNote), which a "
            + "rewrite cuts" + (churn.map { "; stable (\($0.commits) commits in \($0.days) days)" } ?? "")
        let shareValue = measurement.cpuShare ?? 1
        let targetP99 =
            measurement.p99Milliseconds * (1 - shareValue) + measurement.p99Milliseconds * shareValue
            / rules.expectedSpeedup
        let targetCpu = cpuMs / rules.expectedSpeedup
        plan.goal =
            "cut p99 of \(route) from \(p99) to under \(formatMilliseconds(ceilTwoDigits(targetP99))) "
            + "and CPU per request from \(cpuText) to under \(formatMilliseconds(ceilTwoDigits(targetCpu)))"
        return plan
    }
}

/// Rounds up to two significant digits (47.3 → 48, 2.31 → 2.4).
func ceilTwoDigits(_ value: Double) -> Double {
    guard value > 0 else { return 0 }
    var scale = 1.0
    while value * scale < 10 { scale *= 10 }
    while value * scale >= 100 { scale /= 10 }
    return (value * scale).rounded(.up) / scale
}

func formatMilliseconds(_ value: Double) -> String {
    "\(formatNumber(value)) ms"
}

func formatNumber(_ value: Double) -> String {
    if value >= 100 { return String(Int(value.rounded())) }
    if value >= 10 { return String(format: "%.1f", value).replacingOccurrences(of: ".0", with: "") }
    if value >= 1 { return trimZeros(String(format: "%.2f", value)) }
    return trimZeros(String(format: "%.3f", value))
}

private func trimZeros(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var result = text
    while result.hasSuffix("0") { result.removeLast() }
    if result.hasSuffix(".") { result.removeLast() }
    return result
}
