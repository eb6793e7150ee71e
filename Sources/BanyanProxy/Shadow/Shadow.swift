import BanyanCore
import BanyanState
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Legacy's answer and the candidate's answer to one request, compared once both are in: a
/// shadow copy's (legacy served, the candidate answered a copy) or a canary comparison's (the
/// candidate served, legacy answered a copy). Lives on one event loop.
final class ShadowPair {
    let route: RouteRuntime
    let method: String
    let target: String
    /// The request's `x-request-id`, kept with a stored sample.
    let requestID: String?
    /// Which side served the client and which answered the copy.
    let origin: DifferenceOrigin
    private let engine: ProxyEngine
    private var legacy: ByteBuffer?
    private var candidate: ByteBuffer?
    private var abandoned = false
    private var released = false
    /// Whether the copy went out; until then an abandoned pair gives its slot back itself.
    var callStarted = false

    init(
        route: RouteRuntime, method: String, target: String, requestID: String?, engine: ProxyEngine,
        origin: DifferenceOrigin = .shadow
    ) {
        self.route = route
        self.method = method
        self.target = target
        self.requestID = requestID
        self.engine = engine
        self.origin = origin
    }

    /// The answer of the side that served the client; `head` is the length of its head.
    func servedFinished(_ bytes: ByteBuffer, head: Int?) {
        if origin == .shadow {
            legacyFinished(bytes, head: head)
        } else {
            candidateFinished(bytes, head: head)
        }
    }

    /// The answer to the copy; `head` is the length of its head.
    func copyFinished(_ bytes: ByteBuffer, head: Int?) {
        if origin == .shadow {
            candidateFinished(bytes, head: head)
        } else {
            legacyFinished(bytes, head: head)
        }
    }

    private var legacyHead: Int?
    private var candidateHead: Int?

    /// Legacy's whole answer; `head` is the length of its head (it was parsed on the way).
    func legacyFinished(_ bytes: ByteBuffer, head: Int?) {
        legacy = bytes
        legacyHead = head
        compareIfReady()
    }

    func candidateFinished(_ bytes: ByteBuffer, head: Int?) {
        candidate = bytes
        candidateHead = head
        compareIfReady()
    }

    /// Either side failed or is too large: nothing to compare.
    func abandon() {
        abandoned = true
        legacy = nil
        candidate = nil
        if !callStarted { releaseSlot() }
    }

    /// The shadow call is over (answered, failed or timed out): its slot is free again.
    func releaseSlot() {
        guard !released else { return }
        released = true
        engine.releaseShadowSlot(route: route.index)
    }

    private func compareIfReady() {
        guard !abandoned, let legacy, let candidate else { return }
        self.legacy = nil
        self.candidate = nil
        // Equal bytes need no parsing: checked here (a memcmp) rather than waking the comparison worker.
        if engine.recorder.recordIfIdentical(
            route: route.config.route, stats: route.stats, legacy, candidate, legacyHead: legacyHead,
            candidateHead: candidateHead)
        {
            return
        }
        engine.recorder.submit(
            ShadowComparison(
                route: route.config.route, stats: route.stats, method: method, target: target,
                requestID: requestID, legacy: legacy, candidate: candidate, origin: origin))
    }
}

/// A shadowed request's two answers, raw, waiting to be compared.
struct ShadowComparison: Sendable {
    let route: String
    let stats: RouteStats
    let method: String
    let target: String
    let requestID: String?
    let legacy: ByteBuffer
    let candidate: ByteBuffer
    let origin: DifferenceOrigin
}
