import BanyanCore
import BanyanHTTP
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What Express 4 (Debian's 4.18.2) reads of the client behind a load balancer, straight and with
/// the proxy inserted, for each `trust proxy` setting and each `forwarded:` choice. The load
/// balancer is the test, connecting from 127.0.0.2 with `X-Forwarded-For: 198.51.100.7`,
/// `X-Forwarded-Proto: https` and `X-Forwarded-Host: shop.example`; the proxy reaches Express
/// from 127.0.0.1. docs/proxy.md's table is this test's expectations.
@Suite("forwarded headers as Express reads them", .serialized)
struct ForwardedTests {
    /// `trust proxy` values, as the app's TRUST_PROXY.
    static let trustSettings = ["false", "true", "1", #""loopback""#]

    /// The forwarding choices compared.
    enum Choice: String, CaseIterable, Sendable, CustomStringConvertible {
        case preserve, append, setProto, transparent, untrustedPeer

        var description: String { rawValue }

        var forwarded: ForwardedHeaders {
            switch self {
            case .preserve: ForwardedHeaders()
            case .append: ForwardedHeaders(forwardedFor: .append)
            case .setProto: ForwardedHeaders(proto: .set)
            case .transparent: .passThrough
            case .untrustedPeer:
                ForwardedHeaders(trusted: [AddressRange(parsing: "10.0.0.0/8")!], trustedGiven: true)
            }
        }
    }

    /// For each `trust proxy` setting (in `trustSettings` order), the fields of
    /// `{ip, ips, protocol, secure, hostname}` that differ from what Express read without the proxy.
    static let changed: [Choice: [[String]]] = [
        .preserve: [["ip"], [], [], []],
        .transparent: [["ip"], [], [], []],
        .append: [["ip"], ["ips"], ["ip", "ips"], ["ips"]],
        .setProto: [["ip"], ["protocol", "secure"], ["protocol", "secure"], ["protocol", "secure"]],
        .untrustedPeer: [
            ["ip"], ["ip", "ips", "protocol", "secure", "hostname"],
            ["ip", "ips", "protocol", "secure", "hostname"], ["ip", "ips", "protocol", "secure", "hostname"],
        ],
    ]

    static let loadBalancerRequest =
        "GET /whoami HTTP/1.1\r\nHost: internal:3000\r\nX-Forwarded-For: 198.51.100.7\r\n"
        + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\nConnection: close\r\n\r\n"

    @Test("what changes for the app, per trust proxy setting", arguments: Choice.allCases)
    func expressReads(choice: Choice) async throws {
        var seen: [[String]] = []
        for trust in Self.trustSettings {
            let app = try ServiceProcess(
                name: "trust-proxy \(trust)", executable: try findExecutable("node"),
                arguments: ["Tests/Scripts/express-apps/trust-proxy.js"],
                environment: ["NODE_PATH": "/usr/share/nodejs", "PORT": "{port}", "TRUST_PROXY": trust])
            var configuration = Configuration(
                legacy: app.base, candidate: app.base, listen: ListenAddress(host: "127.0.0.1", port: 0),
                admin: ListenAddress(host: "127.0.0.1", port: 0),
                state: "sqlite:\(FileManager.default.temporaryDirectory.path)/banyan-fwd-\(UUID().uuidString).sqlite")
            configuration.forwarded = choice.forwarded
            let (direct, proxied) = try await withProxyServer(configuration: configuration) { server in
                let ports = (app: app.port, proxy: server.port)
                return try await blocking { () throws -> (JSONValue, JSONValue) in
                    (
                        try sendFrom("127.0.0.2", port: ports.app, Self.loadBalancerRequest),
                        try sendFrom("127.0.0.2", port: ports.proxy, Self.loadBalancerRequest)
                    )
                }
            }
            if trust == "true" {
                // The load balancer's view, for the record: Express believed it.
                #expect(direct["ip"] == "198.51.100.7")
                #expect(direct["secure"] == true)
            }
            seen.append(
                ["ip", "ips", "protocol", "secure", "hostname"].filter { direct[$0] != proxied[$0] })
            if choice == .preserve && trust != "false" {
                #expect(proxied["secure"] == true, "trust proxy \(trust)")
            }
        }
        #expect(seen == Self.changed[choice])
    }
}

/// Sends one request from the local address `source` and returns the JSON body of the answer.
func sendFrom(_ source: String, port: Int, _ request: String) throws -> JSONValue {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_addr.s_addr = inet_addr(source)
    var remote = sockaddr_in()
    remote.sin_family = sa_family_t(AF_INET)
    remote.sin_port = UInt16(port).bigEndian
    remote.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    let connected = withUnsafePointer(to: &remote) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0, connected == 0 else { throw TestFailure("cannot connect from \(source) to port \(port)") }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    let answer = readToClose(fd)
    guard let end = answer.firstRange(of: Array("\r\n\r\n".utf8)) else {
        throw TestFailure("no answer from port \(port): \(String(decoding: answer, as: UTF8.self))")
    }
    return try JSONParser.parse(Array(answer[end.upperBound...]))
}
