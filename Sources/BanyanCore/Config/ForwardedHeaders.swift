/// What the proxy does to `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` on the
/// way to a backend (`forwarded:` in banyan.yaml; docs/proxy.md has what each choice does to
/// Express's `req.ip`, `req.protocol` and `req.hostname`).
///
/// The default makes the proxy invisible to an app whatever its `trust proxy` setting: a trusted
/// peer's fields pass unchanged and are filled in only when absent, so the app sees the chain it
/// saw before the proxy was inserted, and an `https` from a load balancer stays `https`.
public struct ForwardedHeaders: Sendable, Hashable, CustomStringConvertible {
    /// `X-Forwarded-For`.
    public enum ForChoice: String, Sendable, Hashable, CaseIterable {
        /// The peer's address is added at the end (nginx's `$proxy_add_x_forwarded_for`): one more hop.
        case append
        /// A trusted peer's value passes unchanged; the peer's address when there is none.
        case preserve
    }

    /// `X-Forwarded-Proto` and `X-Forwarded-Host`.
    public enum ValueChoice: String, Sendable, Hashable, CaseIterable {
        /// A trusted peer's value passes unchanged; the proxy's own (`http`, the `Host`) when there is none.
        case preserve
        /// Always the proxy's own value.
        case set
    }

    /// Every forwarding field (`X-Forwarded-*`, `Forwarded`, `Via`) passes exactly as received,
    /// from any peer, and nothing is added.
    public var transparent: Bool
    public var forwardedFor: ForChoice
    public var proto: ValueChoice
    public var host: ValueChoice
    /// The peers whose forwarding fields are believed; from any other peer they are replaced.
    public var trusted: [AddressRange]
    /// Whether the file listed `trusted:` itself (rather than taking the default ranges).
    public var trustedGiven: Bool

    /// Loopback, link-local and private addresses: where a load balancer in front of the proxy lives.
    public static let defaultTrusted: [AddressRange] = [
        "127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
        "fc00::/7",
    ].map { AddressRange(parsing: $0)! }

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

    /// `forwarded: transparent`.
    public static let passThrough = ForwardedHeaders(transparent: true)

    /// Whether `address` (the peer's, as text) is one whose forwarding fields are believed.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = AddressRange.bytes(of: address) else { return false }
        return trusted.contains { $0.contains(bytes) }
    }

    /// What `banyan config check` warns about: appending the peer's address while every peer in
    /// the default ranges is believed (the file names no `trusted:` peers).
    public var warnings: [String] {
        guard !transparent && forwardedFor == .append && !trustedGiven else { return [] }
        return [
            "forwarded.x_forwarded_for: append without trusted: the X-Forwarded-For of every peer in "
                + "\(Self.defaultTrusted.map(\.description).joined(separator: ", ")) is believed and extended; name "
                + "the load balancers that reach Banyan in forwarded.trusted"
        ]
    }

    public var description: String {
        if transparent { return "transparent" }
        return "x_forwarded_for: \(forwardedFor.rawValue), x_forwarded_proto: \(proto.rawValue), "
            + "x_forwarded_host: \(host.rawValue), trusted: [\(trusted.map(\.description).joined(separator: ", "))]"
    }
}

/// An IPv4 or IPv6 address, or a CIDR range of them (`10.0.0.0/8`, `::1`, `fc00::/7`).
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    public let prefixLength: Int
    public let description: String

    /// Parses `ADDRESS` or `ADDRESS/BITS`; nil for anything else.
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

    /// Whether the address (as `bytes(of:)` gives it) falls inside the range. An IPv4-mapped IPv6
    /// address (`::ffff:10.0.0.1`) counts as its IPv4 address.
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

    /// The bytes of an IPv4 (`10.0.0.1`) or IPv6 (`fe80::1`, `::ffff:10.0.0.1`) address; nil otherwise.
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
