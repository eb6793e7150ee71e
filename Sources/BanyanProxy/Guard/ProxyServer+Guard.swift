import BanyanCore
import BanyanState
import Foundation

extension ProxyServer {
    /// Starts carrying out the guards' verdicts: each is applied on the thread that counted its
    /// deciding sample, so it is in force for the next request; persisting and logging follow,
    /// in order, on ``guardTask``.
    func startGuard() {
        engine.snapshot.verdicts.setHandler { [self] route, verdict in
            if let change = carryOut(verdict, route: route) { guardQueue.yield(change) }
        }
        let changes = guardChanges
        let task = Task { [self] in
            for await change in changes { await persist(change) }
        }
        guardTask.withLockedValue { $0 = task }
    }

    /// The guard of every route that has one, in the order of `routes:`.
    public func guardStatus() -> [GuardStatus] {
        engine.snapshot.routes.compactMap { $0.stats.guardStatus() }
    }

    /// What a verdict changed, or would have changed in observe mode, waiting to be persisted and logged.
    struct GuardChange: Sendable {
        var route: String
        var verdict: GuardVerdict
        var from: RouteMode
        var to: RouteMode?
        var persist: (RouteOverride, RouteEvent)?
    }

    /// Applies one verdict: a trip, a restore or a promotion puts the route's new mode in force
    /// the way ``setMode(route:mode:reason:)`` does (the path of the CLI and the admin API), with the
    /// evidence as the reason. A verdict in observe mode, or a failing mark, changes nothing.
    func carryOut(_ verdict: GuardVerdict, route name: String) -> GuardChange? {
        guard let route = engine.snapshot.route(named: name) else { return nil }
        var change = GuardChange(route: route.config.route, verdict: verdict, from: route.mode)
        switch verdict.action {
        case .trip(let mode), .restore(let mode):
            change.to = mode
        case .promote:
            guard let next = engine.snapshot.configuration.promotion.next(after: route.mode) else { return nil }
            change.to = next
        case .markFailing, .clearFailing:
            return change
        }
        guard !verdict.observed, let target = change.to else { return change }
        route.stats.expectAutomaticChange(to: target)
        do {
            change.persist = try applyMode(
                route: name, reason: "guard \(verdict.action.name): \(verdict.evidence.summary)", cause: "automatic"
            ) { _ in target }
        } catch {
            log("banyan guard: \(name): cannot apply \(verdict.action.name): \(error)")
            return nil
        }
        route.stats.verdictApplied(decidedAt: verdict.at)
        return change
    }

    /// Persists and logs one change the guard made.
    private func persist(_ change: GuardChange) async {
        let summary = change.verdict.evidence.summary
        let action = change.verdict.action.name
        guard let target = change.to else {
            let observed = change.verdict.observed ? " (observe mode: nothing changed)" : ""
            log("banyan guard: \(change.route): \(action)\(observed): \(summary)")
            return
        }
        let move = "\(change.from.storageText) → \(target.storageText)"
        guard let (override, event) = change.persist else {
            log("banyan guard: \(change.route): would move \(move) (observe mode): \(summary)")
            return
        }
        do {
            if try await store.saveAutomaticOverride(override, event: event) {
                log("banyan guard: \(change.route): \(move): \(summary)")
            } else {
                log("banyan guard: \(change.route): \(move): another proxy's guard recorded this change already")
            }
        } catch {
            metrics.countStateWriteFailure(operation: "guard")
            _ = queueWrite(override, event)
            log("banyan guard: \(change.route): \(move) in force here; kept to be written later: \(error)")
        }
    }
}
