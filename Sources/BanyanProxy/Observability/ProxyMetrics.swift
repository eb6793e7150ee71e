import BanyanCore
import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The proxy's Prometheus metrics, served at `/metrics` on the admin listener.
///
/// The data path keeps counting what it counted before, in each route's ``RouteStats``; a scrape
/// adds what those counters gained since the previous scrape to the swift-metrics counters and
/// timers, which swift-prometheus then writes out. So a request costs nothing more than before,
/// and labels stay bounded: a route label is a configured route, never a raw path. Events off the
/// data path (mode changes, state-store failures, compared differences) are counted as they happen.
public final class ProxyMetrics: Sendable {
    /// Where the metrics live; `exposition()` writes them in the Prometheus text format.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// What each route's counters showed at the last scrape, by route. The lock also keeps two
    /// scrapes from adding the same increase twice.
    private let seen = NIOLockedValueBox<[String: RouteStats.Counters]>([:])
    private let seenTunnels = NIOLockedValueBox<[String: Int]>([:])
    private let seenLimits = NIOLockedValueBox<[String: Int]>([:])

    /// The label requests no route matches get.
    public static let unmatchedRoute = "(unmatched)"

    /// Metrics in a registry of their own, with the request duration histogram's buckets set from
    /// 0.5 ms to 10 s.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["banyan_request_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        self.factory = factory
    }

    // MARK: Counted as they happen

    /// A route changed mode; `cause` is who or what changed it (`cli`, `page`, `api`, `file`, `automatic`).
    func countModeChange(route: String, cause: String) {
        CoreMetrics.Counter(
            label: "banyan_mode_changes_total", dimensions: [("route", route), ("cause", cause)], factory: factory
        )
        .increment()
    }

    /// A write to the state store failed (`operation`: `mode_change`, `differences`, `reload`).
    func countStateWriteFailure(operation: String) {
        CoreMetrics.Counter(
            label: "banyan_state_write_failures_total", dimensions: [("operation", operation)], factory: factory
        )
        .increment()
    }

    /// A shadow comparison found a difference of `kind` at `severity` (above noise) on `route`.
    func countDifference(route: String, kind: DifferenceKind, severity: Severity) {
        CoreMetrics.Counter(
            label: "banyan_shadow_differences_total",
            dimensions: [("route", route), ("kind", kind.rawValue), ("severity", severity.rawValue)],
            factory: factory
        ).increment()
    }

    // MARK: Scrape

    /// Brings the metrics up to date with the proxy's counters and writes them in the Prometheus
    /// text format (version 0.0.4).
    public func exposition(_ server: ProxyServer) -> [UInt8] {
        let snapshot = server.engine.snapshot
        seen.withLockedValue { seen in
            for route in snapshot.routes {
                update(route: route.config.route, counters: route.stats.counters, seen: &seen)
            }
            update(route: Self.unmatchedRoute, counters: snapshot.unmatched.counters, seen: &seen)
        }
        CoreMetrics.Gauge(label: "banyan_requests_in_flight", factory: factory).record(server.engine.requestsInFlight)
        CoreMetrics.Gauge(label: "banyan_shadows_in_flight", factory: factory).record(server.engine.shadowsInFlight)
        CoreMetrics.Gauge(label: "banyan_client_connections", factory: factory)
            .record(server.engine.clientConnections)
        updateLimits(server.engine.limitEvents)
        updateTunnels(ProxyStatus(server))
        return registry.emitToBuffer()
    }

    /// What the limits did since the last scrape, by cause (`banyan_limit_events_total`).
    private func updateLimits(_ counts: [String: Int]) {
        seenLimits.withLockedValue { seen in
            for (cause, count) in counts.sorted(by: { $0.key < $1.key }) {
                let gained = count - (seen[cause] ?? 0)
                seen[cause] = count
                guard gained > 0 else { continue }
                CoreMetrics.Counter(
                    label: "banyan_limit_events_total", dimensions: [("cause", cause)], factory: factory
                )
                .increment(by: gained)
            }
        }
    }

    private func update(route: String, counters now: RouteStats.Counters, seen: inout [String: RouteStats.Counters]) {
        var before = seen[route] ?? RouteStats.Counters()
        // A reload that dropped and re-added the route starts its counters again.
        if now.legacy.requests < before.legacy.requests || now.candidate.requests < before.candidate.requests
            || now.shadow.requests < before.shadow.requests || now.shadowCompared < before.shadowCompared
        {
            before = RouteStats.Counters()
        }
        seen[route] = now
        for (backend, current, previous) in [
            ("legacy", now.legacy, before.legacy), ("candidate", now.candidate, before.candidate),
            ("shadow", now.shadow, before.shadow),
        ] {
            for index in current.statusClasses.indices
            where current.statusClasses[index] > previous.statusClasses[index] {
                let gained = current.statusClasses[index] - previous.statusClasses[index]
                CoreMetrics.Counter(
                    label: "banyan_requests_total",
                    dimensions: [("route", route), ("backend", backend), ("status_class", "\(index + 1)xx")],
                    factory: factory
                ).increment(by: Int64(gained))
            }
            recordLatency(route: route, backend: backend, current.latency, since: previous.latency)
        }
        add("banyan_shadow_sent_total", route, now.shadowSent, before.shadowSent)
        add("banyan_shadow_comparisons_total", route, now.shadowCompared, before.shadowCompared)
        add("banyan_shadow_differing_total", route, now.shadowDiffering, before.shadowDiffering)
        add("banyan_shadow_failing_total", route, now.shadowFailing, before.shadowFailing)
        add("banyan_shadow_timeouts_total", route, now.shadowTimeouts, before.shadowTimeouts)
        add("banyan_shadow_errors_total", route, now.shadowErrors, before.shadowErrors)
        for (reason, count) in now.shadowSkipped {
            add("banyan_shadow_skipped_total", route, count, before.shadowSkipped[reason] ?? 0, ("reason", reason))
        }
        for (cause, count) in now.fallbacks {
            add("banyan_fallbacks_total", route, count, before.fallbacks[cause] ?? 0, ("cause", cause))
        }
    }

    private func add(
        _ name: String, _ route: String, _ now: UInt64, _ before: UInt64, _ extra: (String, String)? = nil
    ) {
        guard now > before else { return }
        var dimensions = [("route", route)]
        if let extra { dimensions.append(extra) }
        CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory).increment(by: Int64(now - before))
    }

    /// Adds the recordings `now` gained over `before` to the route's latency histogram, each at the
    /// middle of its log-linear bucket (so within about 3% of the value measured).
    private func recordLatency(
        route: String, backend: String, _ now: RouteLatencyHistogram, since before: RouteLatencyHistogram
    ) {
        guard now.count > before.count else { return }
        let timer = CoreMetrics.Timer(
            label: "banyan_request_duration_seconds", dimensions: [("route", route), ("backend", backend)],
            factory: factory)
        for index in now.buckets.indices where now.buckets[index] > before.buckets[index] {
            let lower = index == 0 ? 0 : RouteLatencyHistogram.upperEdge(of: index - 1) + 1
            let middle = (lower + RouteLatencyHistogram.upperEdge(of: index)) / 2
            for _ in 0..<(now.buckets[index] - before.buckets[index]) {
                timer.recordNanoseconds(Int64(middle) * 1000)
            }
        }
    }

    /// Upgraded connections, from the counts the status carries when the proxy keeps them.
    private func updateTunnels(_ status: ProxyStatus) {
        guard let open = status.tunnelsOpen else { return }
        CoreMetrics.Gauge(label: "banyan_tunnels_open", factory: factory).record(open)
        seenTunnels.withLockedValue { seen in
            for route in status.routes {
                guard let tunnels = route.tunnels else { continue }
                let before = seen[route.route] ?? 0
                seen[route.route] = tunnels.opened
                let gained = tunnels.opened >= before ? tunnels.opened - before : tunnels.opened
                guard gained > 0 else { continue }
                CoreMetrics.Counter(
                    label: "banyan_tunnels_total", dimensions: [("route", route.route)], factory: factory
                )
                .increment(by: gained)
            }
        }
    }
}
