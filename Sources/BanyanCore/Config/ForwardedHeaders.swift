/// What the proxy does to `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` on the
/// way to a backend (`forwarded:` in banyan.yaml; docs/proxy.md has what each choice does to
/// Express's `req.ip`, `req.protocol` and `req.hostname`).
///
/// The default makes the proxy invisible to an app whatever its `trust proxy` setting: a trusted
/// peer's fields pass unchanged and are filled in only when absent, so the app sees the chain it
/// saw before the proxy was inserted, and an `https` from a load balancer stays `https`.
public struct ForwardedHeaders: Sendable, Hashable, CustomStringConvertible {
    /// What the proxy does to `X-Forwarded-For`, the chain of client addresses
    /// (`x_forwarded_for:`). Express reads `req.ip` and `req.ips` from it.
    public enum ForChoice: String, Sendable, Hashable, CaseIterable {
        /// The peer's address is added at the end (nginx's `$proxy_add_x_forwarded_for`): one more hop.
        case append
        /// A trusted peer's value passes unchanged; the peer's address when there is none.
        case preserve
    }

    /// What the proxy does to `X-Forwarded-Proto` or `X-Forwarded-Host`, each a single value
    /// (`x_forwarded_proto:`, `x_forwarded_host:`). Express reads `req.protocol`, `req.secure` and
    /// `req.hostname` from them.
    public enum ValueChoice: String, Sendable, Hashable, CaseIterable {
        /// A trusted peer's value passes unchanged; the proxy's own (`http`, the `Host`) when there is none.
        case preserve
        /// Always the proxy's own value.
        case set
    }

    /// Every forwarding field (`X-Forwarded-*`, `Forwarded`, `Via`) passes exactly as received,
    /// from any peer, and nothing is added.
    /// When true, the other settings are not consulted. `false` by default.
    public var transparent: Bool
    /// What the proxy does to `X-Forwarded-For`; ``ForChoice/preserve`` by default.
    public var forwardedFor: ForChoice
    /// What the proxy does to `X-Forwarded-Proto`; ``ValueChoice/preserve`` by default.
    public var proto: ValueChoice
    /// What the proxy does to `X-Forwarded-Host`; ``ValueChoice/preserve`` by default.
    public var host: ValueChoice
    /// The peers whose forwarding fields are believed (`trusted:`), as addresses and CIDR ranges.
    /// From any other peer the incoming `X-Forwarded-*` fields are dropped and the proxy's own
    /// values sent, so a client cannot spoof its address or scheme. ``defaultTrusted`` by default.
    public var trusted: [AddressRange]
    /// Whether the file listed `trusted:` itself rather than taking ``defaultTrusted``; ``warnings``
    /// reads it.
    public var trustedGiven: Bool

    /// Loopback, link-local and private addresses (`127.0.0.0/8`, `::1/128`, `169.254.0.0/16`,
    /// `fe80::/10`, `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`): where a load
    /// balancer in front of the proxy lives.
    public static let defaultTrusted: [AddressRange] = [
        "127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
        "fc00::/7",
    ].map { AddressRange(parsing: $0)! }

    /// Creates forwarding settings; every argument defaults to what a file without `forwarded:`
    /// gets, which keeps the proxy invisible to the app.
    ///
    /// - Parameters:
    ///   - transparent: Whether every forwarding field passes as received from any peer.
    ///   - forwardedFor: What to do to `X-Forwarded-For`.
    ///   - proto: What to do to `X-Forwarded-Proto`.
    ///   - host: What to do to `X-Forwarded-Host`.
    ///   - trusted: The peers whose forwarding fields are believed.
    ///   - trustedGiven: Whether `trusted` came from the file rather than the default.
    public init(
        transparent: Bool = false, forwardedFor: ForChoice = .preserve, proto: ValueChoice = .preserve,
        host: ValueChoice = .preserve, trusted: [AddressRange] = ForwardedHeaders.defaultTrusted,
        trustedGiven: Bool = false
    ) {
        self.transparent = transparent
        self.forwardedFor = forwardedFor
        self.proto = proto
        self.host = host
        self.trusted = trusted
        self.trustedGiven = trustedGiven
    }

    /// The settings of `forwarded: transparent`: every forwarding field passes as received, from
    /// any peer, and nothing is added.
    public static let passThrough = ForwardedHeaders(transparent: true)

    /// Whether the forwarding fields sent by the peer at `address` are believed.
    ///
    /// - Parameter address: The peer's IPv4 or IPv6 address as text (`10.0.0.5`, `::1`,
    ///   `::ffff:10.0.0.5`).
    /// - Returns: Whether the address falls inside one of the ``trusted`` ranges; false when it
    ///   does not parse as an address.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = AddressRange.bytes(of: address) else { return false }
        return trusted.contains { $0.contains(bytes) }
    }

    /// The warnings `banyan config check` prints about these settings, one sentence each; empty
    /// when there is nothing to warn about.
    ///
    /// The one warning today: appending the peer's address while every peer in the default ranges
    /// is believed (the file names no `trusted:` peers), which lets any machine on a private
    /// network write the start of the chain the app reads.
    public var warnings: [String] {
        guard !transparent && forwardedFor == .append && !trustedGiven else { return [] }
        return [
            "forwarded.x_forwarded_for: append without trusted: the X-Forwarded-For of every peer in "
                + "\(Self.defaultTrusted.map(\.description).joined(separator: ", ")) is believed and extended; name "
                + "the load balancers that reach Banyan in forwarded.trusted"
        ]
    }

    /// The settings as `banyan config check` shows them: `transparent`, or every choice and the
    /// trusted ranges.
    public var description: String {
        if transparent { return "transparent" }
        return "x_forwarded_for: \(forwardedFor.rawValue), x_forwarded_proto: \(proto.rawValue), "
            + "x_forwarded_host: \(host.rawValue), trusted: [\(trusted.map(\.description).joined(separator: ", "))]"
    }
}

/// An IPv4 or IPv6 address, or a CIDR range of them (`10.0.0.0/8`, `::1`, `fc00::/7`): one entry
/// of `forwarded.trusted`.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The network's address in network byte order, the bits past ``prefixLength`` cleared: 4
    /// bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    /// How many leading bits of an address must equal ``network`` (`8` in `10.0.0.0/8`); 32 or
    /// 128 for a single address.
    public let prefixLength: Int
    /// The range exactly as written in the file.
    public let description: String

    /// Parses `ADDRESS` or `ADDRESS/BITS`, an IPv4 or IPv6 address with an optional prefix length.
    ///
    /// Host bits past the prefix are cleared, so `10.1.2.3/8` is the range `10.0.0.0/8`.
    ///
    /// - Parameter text: The range as written.
    /// - Returns: Nil when the address does not parse or the prefix length is not a number from 0
    ///   to the address's width in bits.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
        var length = bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), bits >= 0, bits <= bytes.count * 8 else { return nil }
            length = bits
        }
        var network = bytes
        for index in network.indices {
            let keep = max(0, min(8, length - index * 8))
            network[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        self.network = network
        self.prefixLength = length
        self.description = text
    }

    /// Whether an address falls inside the range.
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as its IPv4 address; otherwise an
    /// IPv4 address is never inside an IPv6 range, nor the other way round.
    ///
    /// - Parameter address: The address's bytes as ``bytes(of:)`` gives them.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if address.count == 16 && network.count == 4 && address[0..<10].allSatisfy({ $0 == 0 })
            && address[10] == 0xFF && address[11] == 0xFF
        {
            address = Array(address[12...])
        }
        guard address.count == network.count else { return false }
        var bits = prefixLength
        var index = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[index] & mask != network[index] { return false }
            bits -= 8
            index += 1
        }
        return true
    }

    /// The bytes of an IPv4 (`10.0.0.1`) or IPv6 (`fe80::1`, `::ffff:10.0.0.1`) address, in
    /// network byte order.
    ///
    /// An IPv6 zone (`fe80::1%eth0`) is ignored. Host names are not resolved.
    ///
    /// - Parameter text: The address as text.
    /// - Returns: 4 bytes for IPv4, 16 for IPv6; nil when the text is not an address.
    public static func bytes(of text: String) -> [UInt8]? {
        if !text.contains(":") { return ipv4(Substring(text)) }
        var text = Substring(text)
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }
        var tail: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(text[text.index(after: lastColon)...]) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix("::") == false { text = text.dropLast() }
        }
        var halves = [String(text)]
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
            guard !halves[1].contains("::") else { return nil }
        }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var out: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                out += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let tailGroups: [UInt8]
        if halves.count == 2 {
            guard let rest = groups(halves[1]) else { return nil }
            tailGroups = rest + tail
            let fill = 16 - head.count - tailGroups.count
            guard fill >= 2 else { return nil }
            return head + [UInt8](repeating: 0, count: fill) + tailGroups
        }
        let all = head + tail
        return all.count == 16 ? all : nil
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else {
                return nil
            }
            out.append(value)
        }
        return out
    }
}
