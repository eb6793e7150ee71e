/// The shape of Banyan's errors, after SwiftNIO's `FileSystemError`: a broad ``code`` a caller can
/// branch on, a ``message`` for the user that names the file, line, route or key and says what to
/// do, and the ``cause`` underneath, if any.
///
/// The message is what the user reads: where the cause's own words help, the message already says
/// them (a cause's description is not always fit for a user; PostgresNIO's hides the server's
/// words). The cause is kept for code that needs more than words (a reload's
/// `ConfigurationError` keeps each problem's line) and for ``debugDescription``.
///
/// Each conforming type's `Code` is an ``ErrorCode`` of its own: a closed set of names that only
/// the type's module can extend, so a new code does not break a caller's `switch`.
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

/// Banyan's one error type: a ``code`` from its domain's closed set, a ``message`` for the user
/// and the ``cause`` underneath. Each module names its own as a type alias
/// (`public typealias ProxyError = BanyanError<ProxyErrorDomain>`), so a `catch` can still tell a
/// proxy's error from a state store's.
public struct BanyanError<Domain: ErrorDomain>: CodedError, Sendable {
    /// The codes of this domain.
    public typealias Code = ErrorCode<Domain>

    /// What went wrong, broadly: what a caller branches on (the admin API's status, the command
    /// line's exit status, a retry).
    public let code: Code
    /// What went wrong and what to do, naming the file, line, route, table or key: what the user
    /// reads.
    public let message: String
    /// The error underneath, when another one led to this (a reload's `ConfigurationError`, a
    /// driver's error).
    public let cause: (any Error)?

    /// An error with `message` for the user, made by `cause` if there is one.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The type's name, code, message and cause, for a log read by the project's developers:
    /// `ProxyError(listen): listen: cannot listen on … (cause: IOError(…))`.
    public var debugDescription: String {
        let head = "\(Domain.errorName)(\(code)): \(message)"
        guard let cause else { return head }
        return head + " (cause: \(String(reflecting: cause)))"
    }
}

/// Where a ``BanyanError`` comes from: a caseless enum per module, whose codes are the static
/// members of `extension ErrorCode where Owner == ThatDomain`.
public protocol ErrorDomain: Sendable {
    /// The name the errors go by in logs (`ProxyError`).
    static var errorName: String { get }
}

/// The code of one error domain (`Owner`): a name from a set only Banyan's own modules add to
/// (its initializer is `package`), compared by name, so a new code breaks no caller's `switch`.
public struct ErrorCode<Owner>: Sendable, Hashable, CustomStringConvertible {
    private let name: String

    /// A code called `name`; the domain's module declares each once, as a static member.
    package init(_ name: String) {
        self.name = name
    }

    /// The code's name, as `debugDescription` shows it (`usage`, `unknownRoute`, …).
    public var description: String { name }
}
