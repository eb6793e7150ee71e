import BanyanCore
import NIOCore

/// One request on its way through the proxy, from its head to the end of its answer.
final class Exchange {
    let head: RequestHead
    /// The request line and fields as received.
    let headBytes: ByteBuffer
    let route: RouteRuntime?
    let stats: RouteStats
    let decision: RolloutDecision
    let start: NIODeadline
    let clientAddress: String
    /// Whether the client's address is one `forwarded.trusted` believes.
    let peerTrusted: Bool
    let snapshot: RoutingSnapshot

    // The attempt in progress.
    var backend: Backend
    var attempt = 0
    var connection: UpstreamConnection?
    var connectionReused = false
    var staleRetries = 0
    /// Why the attempt's answer head was refused (`ResponseHeadParser`'s reason); nil otherwise.
    var malformedAnswer: String?
    var fallbackReason: UpstreamFailure?

    // The request body.
    enum BodyState {
        case none
        case length(remaining: Int)
        case chunked(ChunkedScanner)
    }
    var body: BodyState
    var requestComplete: Bool
    /// Every body byte so far, for a replay or a shadow copy, while under the limit.
    var retained: ByteBuffer?
    var retaining: Bool
    var retainedOverflow = false
    /// Body bytes not yet written to a connection (when not retaining).
    var pending: ByteBuffer?

    // The answer.
    var responseBuffer: ByteBuffer?
    var response: ResponseHead?
    var responseRemaining = 0
    var responseScanner = ChunkedScanner()
    /// Whether an interim (1xx) answer came before the final one.
    var sawInterim = false
    /// An HTTP/1.0 client gets chunk data without the chunked coding.
    var dechunk = false
    var closeClient = false
    var upstreamSpoiled = false

    // Shadowing, and a canary's comparison.
    var shadow: ShadowPair?
    /// The answer of the side that serves the client, kept for the comparison: legacy's for a
    /// shadow copy, the candidate's for a canary's comparison.
    var servedCopy: ByteBuffer?
    /// Whose answer `servedCopy` keeps; an answer from the other side (after a fallback) is not kept.
    var servedCopySide = Backend.legacy

    // Request id and access log (see AccessLog.swift).
    var requestID: String?
    /// The `x-request-id` line the proxy adds to both upstream requests and to the answer, when
    /// it made the id itself (`request_id: true` and the client sent none).
    var requestIDLine: String?
    /// The client connection's byte count when the exchange started.
    var bytesBefore = 0

    init(
        head: RequestHead, headBytes: ByteBuffer, route: RouteRuntime?, stats: RouteStats, decision: RolloutDecision,
        clientAddress: String, peerTrusted: Bool, snapshot: RoutingSnapshot, retainLimit: Int, now: NIODeadline
    ) {
        self.head = head
        self.headBytes = headBytes
        self.route = route
        self.stats = stats
        self.decision = decision
        self.clientAddress = clientAddress
        self.peerTrusted = peerTrusted
        self.snapshot = snapshot
        self.start = now
        self.backend = decision.primary
        switch head.framing {
        case .none, .untilClose:
            body = .none
            requestComplete = true
            retaining = false
        case .length(let count):
            body = .length(remaining: count)
            requestComplete = false
            retaining = count <= retainLimit
            retainedOverflow = !retaining
        case .chunked:
            body = .chunked(ChunkedScanner())
            requestComplete = false
            retaining = true
        }
    }

    /// Whether the whole request can be sent again (to legacy after a failure, or on a fresh connection).
    var replayable: Bool { !retainedOverflow }

    var isIdempotent: Bool { MethodSemantics.isIdempotent(head.method) }

    /// The request head for `backend`: hop-by-hop fields dropped, the forwarding fields as
    /// `forwarded:` says, the backend's path prefix in front of the target. `extra` lines go
    /// before the empty line. A shadow copy never carries the client's `Connection: close`
    /// (copies share pipelined connections).
    func upstreamHead(
        for backend: Backend, allocator: ByteBufferAllocator, extra: String? = nil, shadowCopy: Bool = false
    ) -> ByteBuffer {
        var out = allocator.buffer(capacity: head.length + 128 + (extra?.utf8.count ?? 0))
        writeUpstreamHead(for: backend, into: &out, extra: extra, shadowCopy: shadowCopy)
        return out
    }

    /// Appends the request head for `backend` (see `upstreamHead`) to `out`.
    ///
    /// A client that asks to close (`Connection: close`, or HTTP/1.0 without keep-alive) has that
    /// passed on, so the upstream answers, and closes, exactly as it would for the client alone;
    /// an upgrade request keeps its Connection and Upgrade fields.
    func writeUpstreamHead(
        for backend: Backend, into out: inout ByteBuffer, extra: String? = nil, shadowCopy: Bool = false
    ) {
        let prefix = backend == .legacy ? snapshot.legacyPrefix : snapshot.candidatePrefix
        // Field by field: no copy of the trusted list per request.
        let transparent = snapshot.forwarded.transparent
        // Whether the peer's forwarding fields go on (transparent, or a trusted peer's).
        let believed = transparent || peerTrusted
        let appendFor = !transparent && peerTrusted && snapshot.forwarded.forwardedFor == .append
        let keepProto = transparent || (peerTrusted && snapshot.forwarded.proto == .preserve)
        let keepHost = transparent || (peerTrusted && snapshot.forwarded.host == .preserve)
        let upgrade = head.upgrade
        let passClose = !head.keepAlive && !shadowCopy
        let keepConnection = upgrade || (passClose && head.minorVersion == 1)
        headBytes.withUnsafeReadableBytes { raw in
            let p = UnsafeRawBufferPointer(rebasing: raw[head.leadingBytes...])
            let lineEnd = head.requestLineEnd
            if prefix.isEmpty && head.minorVersion == 1 && lineEnd >= 2 && p[lineEnd - 2] == UInt8(ascii: "\r") {
                // The request line as received is already what goes upstream.
                out.writeBytes(UnsafeRawBufferPointer(rebasing: p[0..<lineEnd]))
            } else {
                out.writeString(head.method)
                out.writeStaticString(" ")
                if !prefix.isEmpty { out.writeString(prefix) }
                out.writeString(head.target)
                out.writeStaticString(" HTTP/1.1\r\n")
            }
            // Fields go out as received, in runs of consecutive lines kept unchanged.
            var runStart = lineEnd
            var runEnd = lineEnd
            var sentFor = false
            var sentProto = false
            var sentHost = false
            var sentConnection = false
            for (index, field) in head.fields.enumerated() {
                let keep: Bool
                switch field.role {
                case .plain: keep = true
                case .hopByHop: keep = false
                case .connection: keep = keepConnection
                case .upgrade: keep = upgrade
                case .forwardedFor: keep = believed && !(appendFor && index == head.forwardedFor)
                case .forwardedProto: keep = keepProto
                case .forwardedHost: keep = keepHost
                }
                if keep {
                    if Int(field.lineStart) != runEnd {
                        out.writeBytes(UnsafeRawBufferPointer(rebasing: p[runStart..<runEnd]))
                        runStart = Int(field.lineStart)
                    }
                    runEnd = Int(field.lineEnd)
                    sentFor = sentFor || field.role == .forwardedFor
                    sentProto = sentProto || field.role == .forwardedProto
                    sentHost = sentHost || field.role == .forwardedHost
                    sentConnection = sentConnection || field.role == .connection
                    continue
                }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: p[runStart..<runEnd]))
                runStart = Int(field.lineEnd)
                runEnd = runStart
                if field.role == .forwardedFor && appendFor && index == head.forwardedFor {
                    // nginx's $proxy_add_x_forwarded_for: the last line, then the peer.
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: p[Int(field.lineStart)..<Int(field.valueEnd)]))
                    out.writeStaticString(", ")
                    out.writeString(clientAddress)
                    out.writeStaticString("\r\n")
                    sentFor = true
                }
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: p[runStart..<runEnd]))
            if passClose && !sentConnection { out.writeStaticString("connection: close\r\n") }
            if !transparent && !sentFor {
                out.writeStaticString("x-forwarded-for: ")
                out.writeString(clientAddress)
                out.writeStaticString("\r\n")
            }
            if let host = head.host {
                if !transparent && !sentHost {
                    let field = head.fields[host]
                    out.writeStaticString("x-forwarded-host: ")
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: p[Int(field.valueStart)..<Int(field.valueEnd)]))
                    out.writeStaticString("\r\n")
                }
            } else {
                // The upstream request is HTTP/1.1, which requires Host; an HTTP/1.0 client may omit it.
                let upstream = backend == .legacy ? snapshot.configuration.legacy : snapshot.configuration.candidate
                out.writeStaticString("host: ")
                out.writeString(upstream.host)
                out.writeStaticString(":")
                out.writeString(String(upstream.port))
                out.writeStaticString("\r\n")
            }
            if !transparent && !sentProto { out.writeStaticString("x-forwarded-proto: http\r\n") }
            if let extra { out.writeString(extra) }
            out.writeStaticString("\r\n")
        }
    }

    /// The value of the first request field called `name` (lower case).
    static func fieldValue(_ name: String, head: RequestHead, headBytes: ByteBuffer) -> String? {
        headBytes.withUnsafeReadableBytes { raw in
            let p = UnsafeRawBufferPointer(rebasing: raw[head.leadingBytes...])
            for field in head.fields {
                let fieldName = UnsafeRawBufferPointer(rebasing: p[Int(field.lineStart)..<Int(field.nameEnd)])
                if equalsLowerString(fieldName, name) {
                    return String(
                        decoding: UnsafeRawBufferPointer(rebasing: p[Int(field.valueStart)..<Int(field.valueEnd)]),
                        as: UTF8.self)
                }
            }
            return nil
        }
    }
}
