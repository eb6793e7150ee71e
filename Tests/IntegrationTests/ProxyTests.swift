import BanyanCore
import BanyanHTTP
import BanyanProxy
import BanyanState
import Foundation
import NIOConcurrencyHelpers
import SharedTestSupport
import Testing

@Suite("Proxy with real services", .serialized)
struct ProxyTests {
    /// Default settings with the socket I/O `io` (the parameterised tests run over both).
    private func settings(io: IOMode) -> ProxySettings {
        var settings = ProxySettings()
        settings.io = io
        return settings
    }

    @Test("each mode: who serves, the shadow copy, forwarded and hop-by-hop headers", arguments: IOMode.allCases)
    func modes(io: IOMode) async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base,
                routes: ["GET /users/:id", "GET /orders/:id", "GET /price/:symbol", "GET /users"],
                configure: { routes in
                    routes[1].mode = .new
                    routes[2].mode = .shadow
                    routes[3].mode = .canary(percent: 100)
                }, settings: settings(io: io)
            ) { proxy in

                let user = try await proxy.get("/users/1")
                #expect(user.status == 200)
                #expect(user.headers["served-by"] == "legacy")
                #expect(user.bodyText == #"{"id":1,"name":"Ada","email":"ada@example.com"}"#)
                // Express's own Connection and Keep-Alive reach the client: the proxy keeps the connection as Express would.
                #expect(user.headers["keep-alive"] == "timeout=5")
                #expect(user.headers["connection"] == "keep-alive")

                let order = try await proxy.get(
                    "/orders/ord_123", headers: [("Connection", "close, X-Secret"), ("X-Secret", "s")])
                #expect(order.headers["served-by"] == "candidate")
                #expect(order.bodyText == "ok")
                #expect(order.headers["connection"] == "close")

                let users = try await proxy.get("/users")
                #expect(users.headers["served-by"] == "candidate")

                let unmatched = try await proxy.get("/health")
                #expect(unmatched.headers["served-by"] == "legacy")
                #expect(unmatched.status == 200)

                let price = try await proxy.get("/price/AAPL", headers: [("X-Forwarded-For", "10.1.2.3")])
                #expect(price.headers["served-by"] == "legacy")
                #expect(price.bodyText.contains("\"computedBy\":\"node\""))
                try await proxy.server.settleShadows()

                let received = String(decoding: candidate.received, as: UTF8.self)
                let requests = received.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
                #expect(requests.count == 3)
                #expect(
                    requests[0]
                        == "GET /orders/ord_123 HTTP/1.1\r\nHost: 127.0.0.1:\(proxy.server.port)\r\n"
                        + "Connection: close, X-Secret\r\nx-forwarded-for: 127.0.0.1\r\n"
                        + "x-forwarded-host: 127.0.0.1:\(proxy.server.port)\r\nx-forwarded-proto: http")
                #expect(requests[2].hasPrefix("GET /price/AAPL HTTP/1.1\r\n"))
                // The client (127.0.0.1) is a trusted peer by default: its X-Forwarded-For goes on unchanged.
                #expect(requests[2].contains("X-Forwarded-For: 10.1.2.3\r\nx-forwarded-host: "))
                #expect(requests[2].hasSuffix("x-banyan-shadow: 1"))

                let stats = try #require(proxy.server.engine.snapshot.route(named: "GET /price/:symbol")).stats.counters
                #expect(stats.legacy.requests == 1)
                #expect(stats.shadowSent == 1)
                #expect(stats.shadowCompared == 1)
                #expect(stats.shadowFailing == 1)
            }
        }
    }

    @Test("a sticky canary is monotonic: every key inside 5% stays on the candidate at 25%")
    func stickyCanary() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
                configure: { routes in
                    routes[0].mode = .canary(percent: 5)
                    routes[0].sticky = .header("x-user-id")
                }
            ) { proxy in
                let port = proxy.server.port
                let keys = (0..<200).map { "user-\($0)" }

                @Sendable func onCandidate() throws -> Set<String> {
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                    var served: Set<String> = []
                    for key in keys {
                        let response = try connection.send(
                            HTTPRequest(method: "GET", target: "/users/1", headers: HTTPHeaders([("X-User-Id", key)])))
                        if response.response.headers["served-by"] == "candidate" { served.insert(key) }
                    }
                    return served
                }
                func expected(_ percent: Double) -> Set<String> {
                    Set(
                        keys.filter { StickyBucket.isCandidate(bucket: StickyBucket.bucket(for: $0), percent: percent) }
                    )
                }

                let at5 = try await blocking(onCandidate)
                #expect(at5 == expected(5))
                #expect(at5.count == 13)
                try await proxy.server.setMode(route: "GET /users/:id", mode: .canary(percent: 25), reason: "route set")
                let at25 = try await blocking(onCandidate)
                #expect(at25 == expected(25))
                #expect(at5.isSubset(of: at25))
                #expect(at25.count == 57)
                try await proxy.server.setMode(route: "GET /users/:id", mode: .canary(percent: 5), reason: "route set")
                #expect(try await blocking(onCandidate) == at5)
            }
        }
    }

    @Test("killing the candidate during a canary under load fails no idempotent request")
    func fallbackUnderLoad() async throws {
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.legacy()
        try await withTestProxy(
            legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
            configure: { routes in
                routes[0].mode = .canary(percent: 50)
                routes[0].sticky = .header("x-user-id")
                routes[0].fallback = true
                routes[0].timeout = 2
            }
        ) { proxy in
            let port = proxy.server.port
            let outcome = NIOLockedValueBox((ok: 0, failed: [String](), candidate: 0))
            let stop = NIOLockedValueBox(false)

            let workers = (0..<4).map { worker in
                Task.detached {
                    try await blocking {
                        var connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                        var index = 0
                        while !stop.withLockedValue({ $0 }) {
                            index += 1
                            let key = "w\(worker)-\(index)"
                            let request = HTTPRequest(
                                method: "GET", target: "/users/\(1 + index % 3)",
                                headers: HTTPHeaders([("X-User-Id", key)]))
                            do {
                                if !connection.isOpen { connection = try HTTPConnection(host: "127.0.0.1", port: port) }
                                let response = try connection.send(request).response
                                outcome.withLockedValue { outcome in
                                    if response.status == 200 {
                                        outcome.ok += 1
                                        if response.headers["served-by"] == "candidate" { outcome.candidate += 1 }
                                    } else {
                                        outcome.failed.append("\(response.status) \(response.bodyText)")
                                    }
                                }
                            } catch {
                                outcome.withLockedValue { $0.failed.append("\(error)") }
                                connection.close()
                            }
                        }
                    }
                }
            }
            let engine = proxy.server.engine
            func fallbacks() -> UInt64 {
                engine.snapshot.route(named: "GET /users/:id")?.stats.counters.fallbacks.values.reduce(0, +) ?? 0
            }
            // The load runs until the candidate has served a good number, then on after the kill until
            // a request of its side has fallen back to legacy (the guard soon rolls the route back:
            // how many do depends on the machine's speed), and until legacy has served 20 more.
            let servedBeforeKill = try await eventually(timeout: .seconds(30)) {
                outcome.withLockedValue { $0.candidate } > 20
            }
            try await blocking { candidate.kill() }
            let fellBack = try await eventually(timeout: .seconds(30)) { fallbacks() > 0 }
            let okAfterFallback = outcome.withLockedValue { $0.ok }
            let servedAfter = try await eventually(timeout: .seconds(30)) {
                outcome.withLockedValue { $0.ok } > okAfterFallback + 20
            }
            stop.withLockedValue { $0 = true }
            for worker in workers { try await worker.value }

            let result = outcome.withLockedValue { $0 }
            let counters = try #require(engine.snapshot.route(named: "GET /users/:id")).stats.counters
            let fellBackInAll = counters.fallbacks.values.reduce(0, +)
            #expect(servedBeforeKill)
            #expect(fellBack)
            #expect(servedAfter)
            #expect(result.failed == [])
            // Every request sent to the candidate was answered by it or, once it was gone, failed
            // there once and was answered by legacy.
            #expect(counters.candidate.requests == UInt64(result.candidate) + fellBackInAll)
            #expect(counters.candidate.errors == fellBackInAll)
            #expect(counters.legacy.requests == UInt64(result.ok - result.candidate))
            #expect(counters.legacy.errors == 0)
        }
    }

    @Test("a hung candidate in shadow mode neither delays nor fails legacy's answers")
    func hungShadow() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream(hang: true) { candidate in
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
                configure: { routes in
                    routes[0].mode = .shadow
                    // A timeout well beyond the 40 answers below: both slots stay taken until the last
                    // answer, so exactly 2 copies go out and 38 are skipped.
                    routes[0].shadow = ShadowSettings(sample: 1, timeout: 2, concurrency: 2)
                }
            ) { proxy in
                let port = proxy.server.port
                let latencies = try await blocking { () throws -> [(Int, String, Double)] in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                    return try (0..<40).map { index in
                        let result = try connection.send(HTTPRequest(method: "GET", target: "/users/\(1 + index % 3)"))
                        return (result.response.status, result.response.headers["served-by"] ?? "", result.elapsed)
                    }
                }
                #expect(latencies.allSatisfy { $0.0 == 200 && $0.1 == "legacy" })
                // A latency, so a bound: the shadow timeout is 2 s, and an answer held back by the shadow
                // copy would take at least that; a local answer takes milliseconds.
                let slowest = latencies.map(\.2).max() ?? 0
                let total = latencies.map(\.2).reduce(0, +)
                #expect(slowest < 0.2, "slowest legacy answer took \(slowest) s")
                #expect(
                    total < 2, "the 40 answers took \(total) s, longer than the shadow timeout the counts below assume")
                try await proxy.server.settleShadows()
                let counters = try #require(proxy.server.engine.snapshot.route(named: "GET /users/:id")).stats.counters
                #expect(counters.legacy.requests == 40)
                #expect(counters.legacy.errors == 0)
                #expect(counters.shadowSent == 2)
                #expect(counters.shadowTimeouts == 2)
                #expect(counters.shadowSkipped == ["skipped_busy": 38])
                #expect(counters.shadowCompared == 0)
            }
        }
    }

    @Test(
        "shadow copies go out pipelined in batches; each is answered and compared once, also when the candidate closes its connections every 3 answers"
    )
    func pipelinedShadows() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { steady in
                try await withRecordingUpstream(closeAfter: 3) { closing in
                    var settings = ProxySettings()
                    // A long window so that the copies of the six clients below go out together.
                    settings.shadowBatchWindow = .milliseconds(20)
                    for candidate in [steady, closing] {
                        try await withTestProxy(
                            legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
                            configure: { routes in routes[0].mode = .shadow }, settings: settings
                        ) { proxy in
                            let port = proxy.server.port
                            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                                for client in 0..<6 {
                                    group.addTask {
                                        try await blocking {
                                            let connection = try HTTPConnection(
                                                host: "127.0.0.1", port: port, timeout: 10)
                                            return try (0..<10).map { index in
                                                try connection.send(
                                                    HTTPRequest(method: "GET", target: "/users/\(client * 10 + index)")
                                                )
                                                .response.status
                                            }
                                        }
                                    }
                                }
                                return try await group.reduce(into: []) { $0 += $1 }
                            }
                            try await proxy.server.settleShadows()
                            let counters = try #require(proxy.server.engine.snapshot.route(named: "GET /users/:id"))
                                .stats.counters
                            await proxy.server.shutdown()
                            #expect(statuses == Array(repeating: 200, count: 60))
                            #expect(counters.shadowSent == 60)
                            #expect(counters.shadow.requests == 60)
                            #expect(counters.shadowCompared == 60)
                            #expect(counters.shadowDiffering == 0)
                            #expect(counters.shadowErrors == 0)
                            #expect(counters.shadowTimeouts == 0)
                            #expect(counters.shadowSkipped == [:])
                            // Every copy reached the candidate: each target once, apart from copies sent again
                            // after a connection closed under them.
                            let targets = Set(
                                String(decoding: candidate.received, as: UTF8.self).components(separatedBy: "\r\n")
                                    .filter { $0.hasPrefix("GET /users/") })
                            #expect(targets == Set((0..<60).map { "GET /users/\($0) HTTP/1.1" }))
                            // Bounds, not counts: how the six clients' copies fall into batches and onto pooled
                            // connections depends on thread scheduling. Pipelining happened at all: more than one
                            // head in one read.
                            #expect(candidate.mostPipelined > 1)
                        }
                    }
                    // Fewer connections than copies: copies shared them (how many depends on scheduling).
                    #expect(steady.connections < 60)
                    // At most 3 answers per connection for 60 copies: at least 20, more when a pooled
                    // connection closed with fewer answered.
                    #expect(closing.connections >= 20)
                }
            }
        }
    }

    @Test("copies a closing connection left unanswered go again together, as many as it answered")
    func groupedResend() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream(closeAfter: 5) { candidate in
                var settings = ProxySettings()
                // One batch: the eight copies below are made within the window and go out in one write.
                settings.shadowBatchWindow = .milliseconds(300)
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
                    configure: { routes in routes[0].mode = .shadow }, settings: settings
                ) { proxy in
                    let port = proxy.server.port
                    let statuses = try await blocking {
                        let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                        return try (0..<8).map {
                            try connection.send(HTTPRequest(method: "GET", target: "/users/\($0)")).response.status
                        }
                    }
                    try await proxy.server.settleShadows()
                    let counters = try #require(proxy.server.engine.snapshot.route(named: "GET /users/:id")).stats
                        .counters
                    await proxy.server.shutdown()
                    #expect(statuses == Array(repeating: 200, count: 8))
                    #expect(counters.shadowCompared == 8)
                    #expect(counters.shadowErrors == 0)
                    #expect(counters.shadowTimeouts == 0)
                    // The first connection answers 5 and closes; the other 3 share the second one.
                    #expect(candidate.connections == 2)
                    let lines = String(decoding: candidate.received, as: UTF8.self).components(separatedBy: "\r\n")
                        .filter { $0.hasPrefix("GET /users/") }
                    #expect(lines.count == 11)
                    #expect(Set(lines) == Set((0..<8).map { "GET /users/\($0) HTTP/1.1" }))
                }
            }
        }
    }

    @Test("a shadowed write goes to the candidate at once; reads wait for their batch and come after it")
    func shadowedWriteIsNotBatched() async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                var settings = ProxySettings()
                settings.shadowBatchWindow = .milliseconds(400)
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: ["POST /orders", "GET /orders/:id"],
                    configure: { routes in
                        routes[0].mode = .shadow
                        routes[0].shadowNonIdempotent = true
                        routes[1].mode = .shadow
                    }, settings: settings
                ) { proxy in
                    // The request lines the candidate received, in order (a line may follow the POST's body).
                    func copies() -> [String] {
                        String(decoding: candidate.received, as: UTF8.self).components(separatedBy: "\r\n")
                            .filter { $0.hasSuffix(" HTTP/1.1") }
                            .map { line in
                                line.range(of: "GET ").map { String(line[$0.lowerBound...]) } ?? line
                            }
                    }
                    let posted = try await proxy.send(
                        HTTPRequest(
                            method: "POST", target: "/orders", headers: HTTPHeaders([("Content-Length", "2")]),
                            body: Array("{}".utf8)))
                    #expect(posted.status == 200)
                    #expect(try await eventually(timeout: .milliseconds(150)) { copies() == ["POST /orders HTTP/1.1"] })
                    _ = try await proxy.get("/orders/1")
                    // Nothing to await here: what is asserted is that the read's copy has not gone out 150 ms
                    // into its 400 ms batch window.
                    try await Task.sleep(for: .milliseconds(150))
                    #expect(copies() == ["POST /orders HTTP/1.1"])
                    try await proxy.server.settleShadows()
                    #expect(copies() == ["POST /orders HTTP/1.1", "GET /orders/1 HTTP/1.1"])
                }
            }
        }
    }

    @Test("a rollback applies to the very next request and survives a restart")
    func rollback() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            let statePath = try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id", "GET /orders/:id"],
                configure: { routes in
                    routes[0].mode = .new
                    routes[1].mode = .new
                }
            ) { proxy in
                let port = proxy.server.port
                let adminPort = proxy.server.adminPort
                let servedBy = try await blocking { () throws -> [String] in
                    let connection = try HTTPConnection(host: "127.0.0.1", port: port, timeout: 10)
                    let before = try connection.send(HTTPRequest(method: "GET", target: "/users/1")).response
                    let admin = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: adminPort)).send(
                        HTTPRequest(
                            method: "POST", target: "/api/rollback",
                            headers: HTTPHeaders([("Content-Type", "application/json")]),
                            body: Array(#"{"route": "GET /users/:id"}"#.utf8))
                    ).response
                    let after = try connection.send(HTTPRequest(method: "GET", target: "/users/1")).response
                    let other = try connection.send(HTTPRequest(method: "GET", target: "/orders/ord_123")).response
                    return [
                        before.headers["served-by"] ?? "", String(admin.status), after.headers["served-by"] ?? "",
                        other.headers["served-by"] ?? "",
                    ]
                }
                #expect(servedBy == ["candidate", "200", "legacy", "candidate"])
                return proxy.statePath
            }

            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id", "GET /orders/:id"],
                configure: { routes in
                    routes[0].mode = .new
                    routes[1].mode = .new
                }, statePath: statePath
            ) { restarted in
                #expect(try await restarted.get("/users/1").headers["served-by"] == "legacy")
                #expect(try await restarted.get("/orders/ord_123").headers["served-by"] == "candidate")
                let route = try #require(restarted.server.engine.snapshot.route(named: "GET /users/:id"))
                #expect(route.mode == .legacy)
                #expect(route.fileMode == .new)
                #expect(route.override?.reason == "rollback")
            }

            // The file now says something else for the route: the file wins and the runtime change is dropped.
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id", "GET /orders/:id"],
                configure: { routes in
                    routes[0].mode = .canary(percent: 100)
                    routes[1].mode = .new
                }, statePath: statePath
            ) { (edited) async throws in
                #expect(try await edited.get("/users/1").headers["served-by"] == "candidate")
                #expect(try await edited.server.store.routeOverrides().isEmpty)
            }
        }
    }

    @Test(
        "malformed requests are refused (400, 414, 417, 431, 501) and never forwarded",
        arguments: [
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                400
            ),
            ("POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-Bad\u{1}: 1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u{0}b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "x", count: 17_000))\r\n\r\n", 431),
            ("GET /\(String(repeating: "x", count: 17_000)) HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            ("POST /users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST /users HTTP/1.1\r\nHost: a\r\nExpect: y 100-continue\r\nContent-Length: 1\r\n\r\na", 417),
            ("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n0123456789", 400),
            ("GET /#x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ])
    func malformed(request: String, status: Int) async throws {
        try await withRecordingUpstream { legacy in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(legacy: legacy.base, candidate: candidate.base, routes: ["ALL /*"]) { proxy in
                    let port = proxy.server.port
                    let response = try await blocking {
                        try HTTPConnection(host: "127.0.0.1", port: port).sendRaw(Array(request.utf8), method: "GET")
                            .response
                    }
                    #expect(response.status == status)
                    #expect(response.headers["connection"] == "close")
                    #expect(response.headers["served-by"] == "banyan")
                    #expect(response.bodyText.hasPrefix("banyan: request refused: "))
                    // The same connection setup forwards a valid request: the upstream would have seen the bad one.
                    #expect(legacy.received.isEmpty && candidate.received.isEmpty)
                    let valid = try await proxy.get("/")
                    #expect(valid.status == 200)
                    #expect(!legacy.received.isEmpty)
                }
            }
        }
    }

    @Test(
        "an upstream that refuses gets 502, one that does not answer 504, each with a clear body",
        arguments: IOMode.allCases)
    func gatewayErrors(io: IOMode) async throws {
        try await withRecordingUpstream(hang: true) { hung in
            let closedPort = try #require(findFreePort())
            var settings = settings(io: io)
            settings.legacyTimeout = .milliseconds(300)
            try await withTestProxy(
                legacy: hung.base, candidate: BaseURL(host: "127.0.0.1", port: closedPort), routes: ["GET /new"],
                configure: { routes in routes[0].mode = .new }, settings: settings
            ) { proxy in
                let refused = try await proxy.get("/new")
                #expect(refused.status == 502)
                #expect(
                    refused.bodyText
                        == "banyan: the candidate service refused the connection or could not be reached (GET /new)\n")
                let timedOut = try await proxy.get("/old")
                #expect(timedOut.status == 504)
                #expect(timedOut.bodyText == "banyan: the legacy service did not answer in time (GET /old)\n")
                #expect(timedOut.headers["served-by"] == "banyan")
            }
        }
    }

    @Test(
        "HTTP/1.0 without Host, pipelined requests and a chunked request body reach Express intact",
        arguments: IOMode.allCases)
    func wireDetails(io: IOMode) async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            try await withTestProxy(
                legacy: legacy.base, candidate: candidate.base, routes: [], settings: settings(io: io)
            ) { proxy in
                let port = proxy.server.port
                let responses = try await blocking { () throws -> [HTTPResponse] in
                    let old = try HTTPConnection(host: "127.0.0.1", port: port).sendRaw(
                        Array("GET /users/1 HTTP/1.0\r\n\r\n".utf8), method: "GET"
                    ).response
                    let pipelined = try HTTPConnection(host: "127.0.0.1", port: port)
                    let first = try pipelined.sendRaw(
                        Array("GET /users/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
                        method: "GET"
                    ).response
                    let second = try pipelined.sendRaw([], method: "GET").response
                    let body = #"{"name":"Grace","email":"grace@example.com"}"#
                    let chunked = try HTTPConnection(host: "127.0.0.1", port: port).sendRaw(
                        Array(
                            ("POST /users HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n10\r\n\(body.prefix(16))\r\n"
                                + "\(String(body.count - 16, radix: 16))\r\n\(body.dropFirst(16))\r\n0\r\n\r\n").utf8),
                        method: "POST"
                    ).response
                    return [old, first, second, chunked]
                }
                #expect(responses[0].status == 200)
                #expect(responses[0].headers["connection"] == "close")
                #expect(responses[0].bodyText == #"{"id":1,"name":"Ada","email":"ada@example.com"}"#)
                #expect(responses[1].bodyText == #"{"id":1,"name":"Ada","email":"ada@example.com"}"#)
                #expect(responses[2].bodyText == #"{"id":2,"name":"Linus","email":"linus@example.com"}"#)
                #expect(responses[3].status == 201)
                #expect(responses[3].bodyText.contains(#""name":"Grace""#))
            }
        }
    }

    @Test(
        "a large answer to a client that does not read, and a pipelined one behind it, arrive whole and in order",
        arguments: IOMode.allCases)
    func slowReader(io: IOMode) async throws {
        // 32 MiB cannot all sit in the socket buffers while the client is not reading, so the proxy's
        // write stops part-way and the rest waits in NIO; the second answer must queue behind it.
        let big = (0..<(32 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        try await withRecordingUpstream(firstBody: big) { legacy in
            try await withRecordingUpstream { candidate in
                try await withTestProxy(
                    legacy: legacy.base, candidate: candidate.base, routes: [], settings: settings(io: io)
                ) { proxy in
                    let port = proxy.server.port
                    let engine = proxy.server.engine
                    let (received, pausedWhileNotReading) = try await blocking { () throws -> ([UInt8], Int?) in
                        let fd = try connectedSocket(port: port)
                        defer { close(fd) }
                        let requests = Array(
                            "GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /small HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
                        _ = requests.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        // The client reads nothing until the proxy stopped reading legacy: the
                        // proxy holds at most its buffer bound, the rest waits in legacy's socket.
                        let clock = ContinuousClock()
                        let giveUp = clock.now + .seconds(10)
                        while engine.limitEvents["upstream_paused"] == 0 && clock.now < giveUp { usleep(10_000) }
                        let pausedWhileNotReading = engine.limitEvents["upstream_paused"]
                        var timeout = timeval(tv_sec: 10, tv_usec: 0)
                        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                        var bytes: [UInt8] = []
                        var chunk = [UInt8](repeating: 0, count: 65536)
                        while !bytes.suffix(2).elementsEqual(Array("ok".utf8)) || bytes.count < big.count {
                            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                            if count <= 0 { break }
                            bytes += chunk[0..<count]
                        }
                        return (bytes, pausedWhileNotReading)
                    }
                    #expect(pausedWhileNotReading == 1)
                    let head1 = "HTTP/1.1 200 OK\r\nContent-Length: \(big.count)\r\nserved-by: legacy\r\n\r\n"
                    let head2 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nserved-by: legacy\r\n\r\nok"
                    // Compared as Booleans: a failure prints a line, not 32 MiB.
                    let firstHeadIntact = received.prefix(head1.utf8.count).elementsEqual(head1.utf8)
                    let bodyIntact = received.dropFirst(head1.utf8.count).prefix(big.count).elementsEqual(big)
                    let secondIntact = received.suffix(head2.utf8.count).elementsEqual(head2.utf8)
                    #expect(received.count == head1.utf8.count + big.count + head2.utf8.count)
                    #expect(firstHeadIntact)
                    #expect(bodyIntact)
                    #expect(secondIntact)
                }
            }
        }
    }

    @Test("shutdown lets a request in flight finish, then stops accepting")
    func drain() async throws {
        try await withRecordingUpstream(delay: 0.4) { slow in
            try await withTestProxy(legacy: slow.base, candidate: slow.base, routes: []) { proxy in
                let port = proxy.server.port
                let inFlight = Task.detached {
                    try await blocking { try proxy.client.send(HTTPRequest(method: "GET", target: "/slow")).response }
                }
                let server = proxy.server
                #expect(try await eventually { server.engine.requestsInFlight == 1 })
                await proxy.server.shutdown()
                let response = try await inFlight.value
                #expect(response.status == 200)
                #expect(response.bodyText == "ok")
                #expect(response.headers["connection"] == "close")
                #expect(!waitUntilListening(port: port, timeout: 0.2))
            }
        }
    }

    @Test("the admin API requires its bearer token, and a token off loopback")
    func adminToken() async throws {
        try await withRecordingUpstream { upstream in
            var configuration = Configuration(
                legacy: upstream.base, candidate: upstream.base, listen: ListenAddress(host: "127.0.0.1", port: 0),
                admin: ListenAddress(host: "0.0.0.0", port: 0),
                state: "sqlite:\(FileManager.default.temporaryDirectory.path)/banyan-admin-\(UUID()).sqlite")
            // Through the scope: a proxy that wrongly starts is shut down at once.
            await #expect {
                try await withProxyServer(configuration: configuration) { _ in }
            } throws: { error in
                (error as? ProxyError)?.code == .adminNotLoopback
            }
            configuration.admin = ListenAddress(host: "127.0.0.1", port: 0)
            configuration.adminToken = "s3cret"
            try await withProxyServer(configuration: configuration) { server in
                let admin = HTTPClient(base: BaseURL(host: "127.0.0.1", port: server.adminPort))
                let statuses = try await blocking { () throws -> [Int] in
                    let anonymous = try admin.send(HTTPRequest(method: "GET", target: "/api/routes")).response.status
                    let wrong = try admin.send(
                        HTTPRequest(
                            method: "GET", target: "/api/routes", headers: HTTPHeaders([("Authorization", "Bearer x")]))
                    ).response.status
                    let right = try admin.send(
                        HTTPRequest(
                            method: "GET", target: "/api/routes",
                            headers: HTTPHeaders([("Authorization", "Bearer s3cret")]))
                    ).response.status
                    return [anonymous, wrong, right]
                }
                #expect(statuses == [401, 401, 200])
            }
        }
    }

    @Test("shadow differences of the naive port are stored per route, kind and place with samples")
    func storedDifferences() async throws {
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.port(naive: true)
        try await withTestProxy(
            legacy: legacy.base, candidate: candidate.base, routes: ["GET /users/:id"],
            configure: { routes in routes[0].mode = .shadow }
        ) { proxy in
            for target in ["/users/abc", "/users/99", "/users/98", "/users/1"] {
                _ = try await proxy.get(target)
            }
            try await proxy.server.settleShadows()
            let aggregates = try await proxy.server.store.differenceAggregates()
            let status = try #require(aggregates.first { $0.kind == .status })
            #expect(status.route == "GET /users/:id")
            #expect(status.count == 1)
            #expect(status.severity == .breaking)
            #expect(status.samples.map(\.target) == ["/users/abc"])
            #expect(status.samples.first?.legacyStatus == 404)
            #expect(status.samples.first?.candidateStatus == 400)
            let details = try #require(aggregates.first { $0.kind == .bodyNullVsAbsent && $0.location == "$.details" })
            #expect(details.count == 2)
            // Two copies in flight at once are compared in whichever order their answers finish.
            #expect(details.samples.map(\.target).sorted() == ["/users/98", "/users/99"])
            let totals = try await proxy.server.store.shadowTotals()
            #expect(totals.first?.compared == 4)
        }
    }
}
