import BanyanCore
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `banyan proxy`, `status`, `route set`, `rollback` and `diff --proxy` as a user runs them, with
/// SIGHUP and SIGTERM.
@Suite("Proxy command line", .serialized)
struct ProxyCommandLineTests {
    private func configuration(legacy: Int, candidate: Int, listen: Int, admin: Int, state: String, extra: String)
        -> String
    {
        """
        legacy: http://127.0.0.1:\(legacy)
        candidate: http://127.0.0.1:\(candidate)
        listen: 127.0.0.1:\(listen)
        admin: 127.0.0.1:\(admin)
        state: sqlite:\(state)
        routes:
          - route: GET /users/:id
            mode: new
        \(extra)
        """
    }

    @Test("--io nio overrides the file's io: direct; the proxy serves on plain NIO and its log says so")
    func ioOption() async throws {
        let legacy = try RecordingUpstream()
        let candidate = try RecordingUpstream()
        let listen = try #require(findFreePort())
        let admin = try #require(findFreePort())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-proxy-io-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("banyan.yaml").path
        try Data(
            configuration(
                legacy: legacy.port, candidate: candidate.port, listen: listen, admin: admin,
                state: folder.appendingPathComponent("state.sqlite").path, extra: "io: direct"
            ).utf8
        ).write(to: URL(fileURLWithPath: file))
        let log = try OutputFile()
        let proxy = try ChildProcess(
            try banyanExecutable(), ["proxy", "--config", file, "--io", "nio"], output: log.handle.fileDescriptor,
            error: log.handle.fileDescriptor)
        defer { proxy.killNow() }
        #expect(waitUntilListening(port: listen, timeout: 20))
        let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: listen))
        let response = try await blocking { try client.send(HTTPRequest(method: "GET", target: "/users/1")).response }
        #expect(response.status == 200)
        #expect(response.headers["served-by"] == "candidate")
        proxy.terminate()
        let stopped = try await blocking { () -> Bool in
            let deadline = Date().addingTimeInterval(5)
            while proxy.isRunning && Date() < deadline { usleep(20_000) }
            return !proxy.isRunning
        }
        #expect(stopped)
        #expect(log.text().contains(" admin=127.0.0.1:\(admin) io=nio listen=127.0.0.1:\(listen) "))
    }

    @Test("route set, rollback and status through the admin API; SIGHUP keeps the rollback; SIGTERM drains")
    func controlCommands() async throws {
        let legacy = try ServiceProcess.legacy()
        try await withRecordingUpstream { candidate in
            let listen = try #require(findFreePort())
            let admin = try #require(findFreePort())
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-proxy-cli-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("banyan.yaml").path
            let state = folder.appendingPathComponent("state.sqlite").path
            try Data(
                configuration(
                    legacy: legacy.port, candidate: candidate.port, listen: listen, admin: admin, state: state,
                    extra: ""
                ).utf8
            ).write(to: URL(fileURLWithPath: file))

            let log = try OutputFile()
            TestLedger.watchForLeaks()
            let proxy = try ChildProcess(
                try banyanExecutable(), ["proxy", "--config", file], output: log.handle.fileDescriptor,
                error: log.handle.fileDescriptor)
            defer { proxy.killNow() }
            #expect(waitUntilListening(port: listen, timeout: 20))
            #expect(waitUntilListening(port: admin, timeout: 5))
            let client = HTTPClient(base: BaseURL(host: "127.0.0.1", port: listen))
            func servedBy(_ target: String) async throws -> String {
                try await blocking { try client.send(HTTPRequest(method: "GET", target: target)).response }.headers[
                    "served-by"] ?? ""
            }

            #expect(try await servedBy("/users/1") == "candidate")
            let set = try await blocking {
                try CommandLineTests.banyan(["route", "set", "GET /users/:id", "canary", "25", "--config", file])
            }
            #expect(set.status == 0)
            #expect(set.output == "GET /users/:id: canary:25\n")
            let rollback = try await blocking { try CommandLineTests.banyan(["rollback", "--all", "--config", file]) }
            #expect(rollback.output == "GET /users/:id: legacy (rolled back)\n")
            #expect(try await servedBy("/users/1") == "legacy")

            let status = try await blocking {
                try CommandLineTests.banyan(["status", "--config", file, "--format", "json"])
            }
            let document = try JSONParser.parse(Array(status.output.utf8))
            guard case .array(let routes)? = document["routes"] else {
                Issue.record("status has no routes: \(status.output)")
                return
            }
            #expect(routes.first?["mode"] == .string("legacy"))
            #expect(routes.first?["fileMode"] == .string("new"))
            #expect(routes.first?["runtimeChange"]?["reason"] == .string("rollback"))

            // Promote walks the ladder from legacy; the event log names the command line and the reason typed.
            let promote = try await blocking {
                try CommandLineTests.banyan(
                    ["route", "promote", "GET /users/:id", "--reason", "shadow first", "--config", file])
            }
            #expect(promote.output == "GET /users/:id: shadow\n")
            let text = try await blocking { try CommandLineTests.banyan(["status", "--config", file]) }
            #expect(text.status == 0)
            #expect(
                text.output.split(separator: "\n").dropFirst(2).first?.hasPrefix("GET /users/:id  shadow  new") == true)
            let events = try await blocking {
                try HTTPClient(base: BaseURL(host: "127.0.0.1", port: admin)).send(
                    HTTPRequest(method: "GET", target: "/api/events?limit=1")
                ).response
            }
            let event = try JSONParser.parse(events.body)["events"]
            guard case .array(let latest)? = event else {
                Issue.record("no event log: \(events.bodyText)")
                return
            }
            #expect(latest.first?["cause"] == .string("cli"))
            #expect(latest.first?["reason"] == .string("shadow first"))
            #expect(latest.first?["from"] == .string("legacy"))
            _ = try await blocking { try CommandLineTests.banyan(["rollback", "--all", "--config", file]) }

            // SIGHUP with a new route: it applies; the rolled-back route keeps its runtime change.
            try Data(
                configuration(
                    legacy: legacy.port, candidate: candidate.port, listen: listen, admin: admin, state: state,
                    extra: "  - route: GET /orders/:id\n    mode: new\n"
                ).utf8
            ).write(to: URL(fileURLWithPath: file))
            kill(proxy.processIdentifier, SIGHUP)
            var orders = ""
            _ = try await eventually(timeout: .seconds(2), interval: .milliseconds(50)) {
                orders = try await servedBy("/orders/ord_123")
                return orders == "candidate"
            }
            #expect(orders == "candidate")
            #expect(try await servedBy("/users/1") == "legacy")

            let diff = try await blocking { try CommandLineTests.banyan(["diff", "--proxy", "--config", file]) }
            #expect(diff.status == 0)
            #expect(diff.output.hasPrefix("no shadow comparisons stored yet"))

            proxy.terminate()
            let stopped = try await blocking { proxy.wait(timeLimit: 5) != nil }
            #expect(stopped)
            guard stopped else {
                Issue.record("the proxy did not stop within 5 s of SIGTERM:\n\(log.text())")
                return
            }
            #expect(proxy.terminationStatus == 0)
            let output = log.text()
            #expect(output.contains(" info banyan.proxy: [BanyanProxy] configuration reloaded (SIGHUP)\n"))
            #expect(output.hasSuffix(" info banyan.proxy: [BanyanProxy] stopped\n"))
        }
    }

    @Test("a WebSocket through banyan proxy: status shows the open tunnel, rollback --close-tunnels closes it")
    func tunnelCommands() async throws {
        let legacy = try ServiceProcess.legacy()
        let candidate = try ServiceProcess.legacy()
        let listen = try #require(findFreePort())
        let admin = try #require(findFreePort())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-proxy-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("banyan.yaml").path
        try Data(
            """
            legacy: http://127.0.0.1:\(legacy.port)
            candidate: http://127.0.0.1:\(candidate.port)
            listen: 127.0.0.1:\(listen)
            admin: 127.0.0.1:\(admin)
            state: sqlite:\(folder.appendingPathComponent("state.sqlite").path)
            routes:
              - route: GET /live
                mode: new
            """.utf8
        ).write(to: URL(fileURLWithPath: file))
        TestLedger.watchForLeaks()
        let proxy = try ChildProcess(try banyanExecutable(), ["proxy", "--config", file])
        defer { proxy.killNow() }
        #expect(waitUntilListening(port: listen, timeout: 20))
        #expect(waitUntilListening(port: admin, timeout: 5))

        let (status, rollback, afterRollback) = try await blocking { () throws -> (String, String, String) in
            let socket = try WebSocketClient(host: "127.0.0.1", port: listen, target: "/live")
            try socket.send(text: "hi")
            _ = try socket.receive()
            let status = try CommandLineTests.banyan(["status", "--config", file]).output
            let rollback = try CommandLineTests.banyan(["rollback", "GET /live", "--close-tunnels", "--config", file])
            let after: String
            do {
                after = "received \(try socket.receive().text)"
            } catch {
                after = "closed"
            }
            return (status, rollback.output, after)
        }
        #expect(
            status.hasSuffix(
                "\ntunnels open 1 (never shadowed)\n  GET /live: open 1 (candidate 1), opened 1, bytes to upstream 8, "
                    + "to client 4\n"))
        #expect(rollback == "GET /live: legacy (rolled back)\n")
        #expect(afterRollback == "closed")
    }

    @Test("usage errors exit 2 and say what to write")
    func usageErrors() throws {
        let mode = try CommandLineTests.banyan(["route", "set", "GET /users/:id", "blue"])
        #expect(mode.status == 2)
        #expect(mode.error.contains("'blue' is not a mode; use one of legacy, shadow, canary, new"))
        let percent = try CommandLineTests.banyan(["route", "set", "GET /users/:id", "canary"])
        #expect(percent.status == 2)
        #expect(percent.error.contains("canary needs a percentage from 0 to 100"))
        let rollback = try CommandLineTests.banyan(["rollback"])
        #expect(rollback.status == 2)
        #expect(rollback.error.contains("name a route, or pass --all"))
        let diff = try CommandLineTests.banyan(["diff", "--proxy", "a", "b"])
        #expect(diff.status == 2)
        let unreachable = try CommandLineTests.banyan(["status", "--admin", "127.0.0.1:1"])
        #expect(unreachable.status == 2)
        #expect(unreachable.error.contains("cannot reach the proxy's admin API at 127.0.0.1:1"))
    }
}
