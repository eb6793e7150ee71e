/// How a message's body is delimited (RFC 9112 §6).
public enum BodyFraming: Sendable, Equatable {
    /// No body.
    case none
    /// Exactly this many bytes.
    case length(Int)
    /// Chunked transfer coding.
    case chunked
    /// Everything until the connection closes (responses only).
    case untilClose
}
