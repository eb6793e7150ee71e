/// The shape of Banyan's errors, after SwiftNIO's `FileSystemError`: a broad ``code`` a caller can
/// branch on, a ``message`` for the user that names the file, line, route or key and says what to
/// do, and the ``cause`` underneath, if any.
///
/// The message is what the user reads: where the cause's own words help, the message already says
/// them (a cause's description is not always fit for a user; PostgresNIO's hides the server's
/// words). The cause is kept for code that needs more than words (a reload's
/// `ConfigurationError` keeps each problem's line) and for ``debugDescription``.
///
/// Each conforming type has a `Code` struct over a private enum, so a new code does not break a
/// caller's `switch`.
public protocol CodedError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// A broad classification of what went wrong.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// What went wrong, broadly.
    var code: Code { get }
    /// What went wrong, naming the file, line, route or key, and what to do about it.
    var message: String { get }
    /// The error that made this one, if any.
    var cause: (any Error)? { get }
}

extension CodedError {
    /// The message, as the user reads it.
    public var description: String { message }

    /// The type, code, message and cause, for a log read by the project's developers:
    /// `ProxyError(listen): listen: cannot listen on … (cause: IOError(…))`.
    public var debugDescription: String {
        let head = "\(Self.self)(\(code)): \(message)"
        guard let cause else { return head }
        return head + " (cause: \(String(reflecting: cause)))"
    }
}
