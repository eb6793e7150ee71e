import BanyanCore

/// An error from starting or controlling the proxy: the message names the address, route, option
/// or file and says what to do; the admin API answers with the HTTP status its ``code`` maps to.
public typealias ProxyError = BanyanError<ProxyErrorDomain>

/// The domain of ``ProxyError``: where its codes are declared.
public enum ProxyErrorDomain: ErrorDomain {
    /// `ProxyError`.
    public static let errorName = "ProxyError"
}

extension ErrorCode where Owner == ProxyErrorDomain {
    /// A request, option or setting that cannot be used as given.
    public static let usage = Self("usage")
    /// The admin API would listen off loopback without a bearer token.
    public static let adminNotLoopback = Self("adminNotLoopback")
    /// A listener (clients, admin API, metrics) cannot bind its address.
    public static let listen = Self("listen")
    /// No route of that name in the configuration.
    public static let unknownRoute = Self("unknownRoute")
    /// No such admin endpoint, or a part this proxy does not have (a fleet).
    public static let notFound = Self("notFound")
    /// The change does not apply to the route as it is (promoting past the last step).
    public static let conflict = Self("conflict")
    /// The configuration file cannot be read again; the routes in force stay.
    public static let reload = Self("reload")
}
