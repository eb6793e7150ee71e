import BanyanCore

/// An Express app's `trust proxy` setting, as `app.get('trust proxy')` gives it.
public enum TrustProxySetting: Sendable, Equatable, CustomStringConvertible {
    /// `false` (Express's default): `req.ip` is the socket's peer.
    case off
    /// `true`: the left-most `X-Forwarded-For` entry.
    case all
    /// A hop count: that many proxies in front of the app are believed.
    case hops(Int)
    /// Addresses, CIDR ranges and the names `loopback`, `linklocal`, `uniquelocal`.
    case addresses([String])
    /// A function: what it trusts cannot be read.
    case function

    public var description: String {
        switch self {
        case .off: "false"
        case .all: "true"
        case .hops(let count): String(count)
        case .addresses(let list): "'\(list.joined(separator: ", "))'"
        case .function: "a function"
        }
    }
}

/// Whether inserting the proxy in front of an app keeps what the app reads of its clients.
///
/// The situation judged is the usual one: a load balancer (or TLS terminator) that the app already
/// believes sends `X-Forwarded-For` and `X-Forwarded-Proto: https`, and the proxy goes between it
/// and the app, so the app's socket peer becomes the proxy. docs/proxy.md has the full table.
public struct TrustProxyAdvice: Sendable, Equatable {
    public var setting: TrustProxySetting
    /// Whether `req.ip` (and `req.ips`' client end) stays what it was; nil when it cannot be told.
    public var keepsIP: Bool?
    /// Whether `req.protocol` and `req.secure` stay what they were; nil when it cannot be told.
    public var keepsProtocol: Bool?
    /// The exact changes that keep them, in the app or in banyan.yaml.
    public var changes: [String]

    /// Judges `setting` against `forwarded`. `proxyAddress` is the address the app sees the proxy
    /// connect from (the legacy URL's host when it is a loopback address), when known.
    public init(setting: TrustProxySetting, forwarded: ForwardedHeaders, proxyAddress: String?) {
        self.setting = setting
        var changes: [String] = []
        let appendsHop = !forwarded.transparent && forwarded.forwardedFor == .append
        let protoKept = forwarded.transparent || forwarded.proto == .preserve
        switch setting {
        case .off:
            // req.ip is the socket's peer: it becomes the proxy, whatever the headers say.
            keepsIP = false
            keepsProtocol = true
            changes.append(
                "the app reads req.ip from its socket, which becomes Banyan's address: to see the address Banyan "
                    + "received each request from, set app.set('trust proxy', \(appendsHop ? 2 : 1))"
                    + (appendsHop ? "" : " (with x_forwarded_for: preserve)"))
        case .all:
            keepsIP = true
            keepsProtocol = protoKept
        case .hops(let count):
            keepsIP = !appendsHop || count == 0
            keepsProtocol = count == 0 || protoKept
            if appendsHop && count > 0 {
                changes.append(
                    "x_forwarded_for: append adds a hop: set app.set('trust proxy', \(count + 1)), or "
                        + "forwarded: { x_forwarded_for: preserve } in banyan.yaml")
            }
        case .addresses(let list):
            if let proxyAddress {
                let trusted = Self.listTrusts(list, proxyAddress)
                keepsIP = trusted
                keepsProtocol = trusted && protoKept
                if !trusted {
                    changes.append(
                        "the app does not trust Banyan's address \(proxyAddress): set app.set('trust proxy', "
                            + "'\((list + [proxyAddress]).joined(separator: ", "))')")
                }
            } else {
                keepsIP = nil
                keepsProtocol = nil
                changes.append("add the address Banyan connects to the app from to the app's trust proxy list")
            }
        case .function:
            keepsIP = nil
            keepsProtocol = nil
            changes.append("the app's trust proxy function must trust the address Banyan connects from")
        }
        if keepsProtocol == false && !protoKept {
            changes.append(
                "x_forwarded_proto: set turns a load balancer's https into http: use forwarded: "
                    + "{ x_forwarded_proto: preserve } in banyan.yaml")
        }
        self.changes = changes
    }

    /// Whether Express's address list (`loopback`, `linklocal`, `uniquelocal`, addresses, ranges) covers `address`.
    static func listTrusts(_ list: [String], _ address: String) -> Bool {
        let names: [String: [String]] = [
            "loopback": ["127.0.0.1/8", "::1/128"], "linklocal": ["169.254.0.0/16", "fe80::/10"],
            "uniquelocal": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
        ]
        let ranges = list.flatMap { names[$0] ?? [$0] }.compactMap(AddressRange.init(parsing:))
        return ForwardedHeaders(trusted: ranges, trustedGiven: true).trusts(address)
    }

    /// One line for people.
    public var summary: String {
        func word(_ kept: Bool?) -> String { kept.map { $0 ? "kept" : "changes" } ?? "cannot tell" }
        return "trust proxy \(setting): req.ip \(word(keepsIP)), req.protocol \(word(keepsProtocol))"
    }
}
