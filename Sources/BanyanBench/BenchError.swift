import BanyanCore

/// Why a benchmark could not run or its inputs could not be read; the message names the target,
/// file or option and says what to do.
public struct BenchError: CodedError, Sendable {
    /// What went wrong, broadly.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable, Hashable {
            case usage, connect, baseline, process
        }
        fileprivate let value: Value
        /// An option or argument that cannot be used as given.
        public static let usage = Code(value: .usage)
        /// The target refused or dropped the connections.
        public static let connect = Code(value: .connect)
        /// The baseline file cannot be read.
        public static let baseline = Code(value: .baseline)
        /// The target's process cannot be found or read.
        public static let process = Code(value: .process)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    /// An error with `message` for the user, made by `cause` if there is one.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}
