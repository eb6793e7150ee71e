import BanyanCore
import BanyanState
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Compares shadow answers on a queue of its own (never on an event loop), aggregates the
/// differences per route, kind and place, and writes them to the state database periodically.
public final class DifferenceRecorder: Sendable {
    private let queue = DispatchQueue(label: "banyan.shadow-diff")
    private let engine: NIOLockedValueBox<DiffEngine>
    private let failAt: NIOLockedValueBox<Severity>
    private let pendingBox = NIOLockedValueBox(Pending())
    private let queued = NIOLockedValueBox(Queue())
    private let ignoredHeaders: NIOLockedValueBox<[[UInt8]]>
    private let metrics: ProxyMetrics?
    /// Comparisons waiting beyond this many are dropped (and counted) rather than queued.
    let maxBacklog = 10_000

    struct Pending: Sendable {
        var aggregates: [String: DifferenceAggregate] = [:]
        var totals: [String: ShadowTotals] = [:]
    }

    init(policy: DifferencePolicy, metrics: ProxyMetrics? = nil) {
        self.metrics = metrics
        engine = NIOLockedValueBox(DiffEngine(policy: policy))
        failAt = NIOLockedValueBox(policy.failAt)
        ignoredHeaders = NIOLockedValueBox(policy.ignoredHeaders.map { Array($0.lowercased().utf8) })
    }

    func updatePolicy(_ policy: DifferencePolicy) {
        engine.withLockedValue { $0 = DiffEngine(policy: policy) }
        failAt.withLockedValue { $0 = policy.failAt }
        ignoredHeaders.withLockedValue { $0 = policy.ignoredHeaders.map { Array($0.lowercased().utf8) } }
    }

    /// Comparisons queued or running.
    public var comparisonsInFlight: Int { queued.withLockedValue { $0.items.count + $0.running } }

    struct Queue: Sendable {
        var items: [ShadowComparison] = []
        var workerScheduled = false
        /// Taken from `items` and not yet compared.
        var running = 0
    }

    /// Whether two raw answers are the same for every client: same status line, same body bytes,
    /// and the same header lines in the same order apart from the headers the policy ignores.
    /// Most shadow pairs of a healthy migration are, and they then skip parsing and diffing.
    /// `headA` and `headB` are the heads' lengths when the caller parsed them already.
    static func identical(
        _ a: ByteBuffer, _ b: ByteBuffer, ignoring ignored: [[UInt8]], headA knownA: Int? = nil,
        headB knownB: Int? = nil
    ) -> Bool {
        a.withUnsafeReadableBytes { a in
            b.withUnsafeReadableBytes { b in
                guard let headA = knownA ?? headEnd(a), let headB = knownB ?? headEnd(b),
                    headA <= a.count, headB <= b.count, a.count - headA == b.count - headB,
                    memcmp(a.baseAddress! + headA, b.baseAddress! + headB, a.count - headA) == 0
                else { return false }
                var linesA = HeadLines(UnsafeRawBufferPointer(rebasing: a[0..<headA]), ignored: ignored)
                var linesB = HeadLines(UnsafeRawBufferPointer(rebasing: b[0..<headB]), ignored: ignored)
                while true {
                    let lineA = linesA.next()
                    let lineB = linesB.next()
                    guard let lineA, let lineB else { return lineA == nil && lineB == nil }
                    guard lineA.count == lineB.count,
                        memcmp(lineA.baseAddress!, lineB.baseAddress!, lineA.count) == 0
                    else { return false }
                }
            }
        }
    }

    private static func headEnd(_ p: UnsafeRawBufferPointer) -> Int? {
        guard p.count >= 4 else { return nil }
        for index in 0...(p.count - 4)
        where p[index] == 13 && p[index + 1] == 10 && p[index + 2] == 13 && p[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    /// The lines of a head, skipping fields whose lower-cased name is in `ignored`.
    private struct HeadLines {
        let p: UnsafeRawBufferPointer
        let ignored: [[UInt8]]
        var index = 0

        init(_ p: UnsafeRawBufferPointer, ignored: [[UInt8]]) {
            self.p = p
            self.ignored = ignored
        }

        mutating func next() -> UnsafeRawBufferPointer? {
            while index < p.count {
                let start = index
                while index < p.count && p[index] != lf { index += 1 }
                index += 1
                let line = UnsafeRawBufferPointer(rebasing: p[start..<min(index, p.count)])
                if line.count <= 2 { continue }
                var end = 0
                while end < line.count && line[end] != colon { end += 1 }
                let name = UnsafeRawBufferPointer(rebasing: line[0..<end])
                let skip = ignored.contains { ignoredName in
                    ignoredName.count == name.count && zip(ignoredName, name).allSatisfy { $0 == asciiLower($1) }
                }
                if !skip { return line }
            }
            return nil
        }
    }

    /// Counts a pair whose answers are byte-identical (apart from ignored headers) as compared
    /// without differences; returns false when they are not.
    func recordIfIdentical(
        route: String, stats: RouteStats, _ legacy: ByteBuffer, _ candidate: ByteBuffer, legacyHead: Int? = nil,
        candidateHead: Int? = nil
    ) -> Bool {
        guard
            Self.identical(
                legacy, candidate, ignoring: ignoredHeaders.withLockedValue { $0 }, headA: legacyHead,
                headB: candidateHead)
        else { return false }
        stats.recordComparison(differing: false, failing: false)
        pendingBox.withLockedValue { pending in
            pending.totals[route, default: ShadowTotals(route: route)].compared += 1
        }
        return true
    }

    func submit(_ comparison: ShadowComparison) {
        // Comparisons queue up and one worker drains them in batches: one thread wake-up serves
        // many comparisons under load instead of one each.
        let scheduleWorker = queued.withLockedValue { state -> Bool? in
            guard state.items.count < maxBacklog else { return nil }
            state.items.append(comparison)
            if state.workerScheduled { return false }
            state.workerScheduled = true
            return true
        }
        guard let scheduleWorker else {
            comparison.stats.recordShadowSkipped(.busy)
            return
        }
        if scheduleWorker { queue.async { [self] in drain() } }
    }

    private func drain() {
        while true {
            let batch = queued.withLockedValue { state -> [ShadowComparison] in
                let items = state.items
                state.items.removeAll(keepingCapacity: true)
                state.running += items.count
                if items.isEmpty { state.workerScheduled = false }
                return items
            }
            if batch.isEmpty { return }
            let engine = self.engine.withLockedValue { $0 }
            let failAt = self.failAt.withLockedValue { $0 }
            for comparison in batch { compare(comparison, engine: engine, failAt: failAt) }
            queued.withLockedValue { $0.running -= batch.count }
        }
    }

    private func compare(_ comparison: ShadowComparison, engine: DiffEngine, failAt: Severity) {
        var legacyParser = HTTPResponseParser(requestMethod: comparison.method)
        legacyParser.append(comparison.legacy.readableBytesView)
        var candidateParser = HTTPResponseParser(requestMethod: comparison.method)
        candidateParser.append(comparison.candidate.readableBytesView)
        guard let legacy = Self.response(&legacyParser), let candidate = Self.response(&candidateParser) else {
            comparison.stats.recordShadowFailure(timeout: false)
            return
        }
        let differences = engine.compare(
            legacy: legacy, candidate: candidate, route: comparison.route,
            request: HTTPRequest(method: comparison.method, target: comparison.target))
        let differing = differences.contains { $0.severity > .noise }
        let failing = differences.contains { $0.severity >= failAt }
        comparison.stats.recordComparison(differing: differing, failing: failing)
        if let metrics {
            for difference in differences where difference.severity > .noise {
                metrics.countDifference(route: comparison.route, kind: difference.kind, severity: difference.severity)
            }
        }
        let now = Date().timeIntervalSince1970
        pendingBox.withLockedValue { pending in
            pending.totals[comparison.route, default: ShadowTotals(route: comparison.route)].compared += 1
            if differing { pending.totals[comparison.route]!.differing += 1 }
            if failing { pending.totals[comparison.route]!.failing += 1 }
            for difference in differences where difference.severity > .noise {
                let location = difference.path ?? difference.header ?? ""
                let key = "\(comparison.route)\u{1}\(difference.kind.rawValue)\u{1}\(location)"
                var aggregate =
                    pending.aggregates[key]
                    ?? DifferenceAggregate(
                        route: comparison.route, kind: difference.kind, location: location,
                        severity: difference.severity, count: 0, firstSeen: now, lastSeen: now,
                        explanation: difference.explanation, policyReason: difference.policyReason)
                aggregate.count += 1
                aggregate.lastSeen = now
                if aggregate.samples.count < SQLiteStateStore.samplesPerAggregate {
                    aggregate.samples.append(
                        DifferenceSample(
                            method: comparison.method, target: comparison.target, legacyStatus: legacy.status,
                            candidateStatus: candidate.status, legacyValue: difference.legacy,
                            candidateValue: difference.candidate, legacyBody: Self.excerpt(legacy.body),
                            candidateBody: Self.excerpt(candidate.body), at: now, requestID: comparison.requestID,
                            legacyHeaders: Self.headerLines(legacy.headers),
                            candidateHeaders: Self.headerLines(candidate.headers), origin: comparison.origin))
                }
                pending.aggregates[key] = aggregate
            }
        }
    }

    private static func response(_ parser: inout HTTPResponseParser) -> HTTPResponse? {
        do {
            while let response = try parser.next() {
                if response.status >= 200 || response.status == 101 { return response }
            }
            return try parser.finish()
        } catch {
            return nil
        }
    }

    private static func headerLines(_ headers: HTTPHeaders) -> String {
        headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(2048), as: UTF8.self)
        return body.count > 2048 ? text + "…" : text
    }

    /// Takes what was aggregated since the last call.
    func takePending() -> ([DifferenceAggregate], [ShadowTotals]) {
        pendingBox.withLockedValue { pending in
            defer { pending = Pending() }
            return (Array(pending.aggregates.values), Array(pending.totals.values))
        }
    }

    /// Waits until every queued comparison has run.
    func waitForComparisons() async {
        while comparisonsInFlight > 0 { try? await Task.sleep(for: .milliseconds(5)) }
    }
}
