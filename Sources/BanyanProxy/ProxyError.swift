import BanyanCore

/// An error from starting or controlling the proxy: the message names the address, route, option
/// or file and says what to do; the admin API answers with the HTTP status its ``code`` maps to.
public struct ProxyError: CodedError, Sendable {
    /// What went wrong, broadly.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable, Hashable {
            case usage, adminNotLoopback, listen, unknownRoute, notFound, conflict, reload
        }
        fileprivate let value: Value
        /// A request, option or setting that cannot be used as given.
        public static let usage = Code(value: .usage)
        /// The admin API would listen off loopback without a bearer token.
        public static let adminNotLoopback = Code(value: .adminNotLoopback)
        /// A listener (clients, admin API, metrics) cannot bind its address.
        public static let listen = Code(value: .listen)
        /// No route of that name in the configuration.
        public static let unknownRoute = Code(value: .unknownRoute)
        /// No such admin endpoint, or a part this proxy does not have (a fleet).
        public static let notFound = Code(value: .notFound)
        /// The change does not apply to the route as it is (promoting past the last step).
        public static let conflict = Code(value: .conflict)
        /// The configuration file cannot be read again; the routes in force stay.
        public static let reload = Code(value: .reload)
        /// The code's name, as `debugDescription` shows it (`unknownRoute`, `reload`, …).
        public var description: String { value.rawValue }
    }

    /// What went wrong, broadly: the admin API answers with the status this maps to.
    public let code: Code
    /// What went wrong and what to do, naming the route, address or setting involved; the admin
    /// API sends it as `{"error": …}` and the command line prints it.
    public let message: String
    /// The error underneath: a reload's `ConfigurationError` (with each problem's line), a
    /// listener's bind error.
    public let cause: (any Error)?

    /// An error with `message` for the user, made by `cause` if there is one.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}
