import BanyanConfig
import BanyanCore
import BanyanDemo
import BanyanState
import Foundation
import SharedTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `banyan demo`, the first thing a new user runs, through its library with the scripted traffic only.
@Suite("The demo")
struct DemoTests {
    /// What the demo reported, in order.
    final class Events: @unchecked Sendable {
        // @unchecked: `list` is only touched under `lock`.
        private let lock = NSLock()
        private var list: [DemoEvent] = []

        func append(_ event: DemoEvent) { lock.withLock { list.append(event) } }

        var all: [DemoEvent] { lock.withLock { list } }
    }

    @Test("the whole demo with the scripted requests: its steps, what each port got wrong, every child stopped")
    func wholeDemo() async throws {
        let port = try ServiceProcess.portExecutable()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-demo-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = Events()
        try await Demo.run(
            Demo.Options(
                root: repositoryRoot.path, stateFolder: folder, requests: 0, naiveExecutable: port, careful: .swift,
                carefulExecutable: port)
        ) { events.append($0) }
        let all = events.all
        #expect(
            all.map(Self.step) == [
                "overview 11", "naive", "started ShopPort --naive", "sent 22: legacy 22",
                "summary 22 compared, 11 failing",
                "careful ShopPort", "started ShopPort", "sent 22: legacy 22", "summary 22 compared, 0 failing",
                "promotion", "GET /users/:id: candidate, then legacy", "live connection",
                "WebSocket served by legacy, echo hello from banyan demo, tunnels open 1", "finished, not keeping",
            ])
        let summaries = all.compactMap { event -> DemoSummary? in
            if case .summary(let summary) = event { return summary }
            return nil
        }
        try #require(summaries.count == 2)
        #expect(summaries.map(\.failAt) == [.risky, .risky])
        #expect(
            summaries[0].routes.map(Self.totals) == [
                "GET /orders/:id 3/3/3", "GET /users/:id 4/4/2", "DELETE /users/:id 2/2/1", "GET /day-of-year 2/2/1",
                "GET /health 1/1/1", "GET /users 2/2/1", "POST /articles 2/2/1", "POST /checkout 1/1/1",
                "GET /price/:symbol 2/2/0", "POST /users 3/3/0",
            ])
        let allRoutes = [
            "GET /users/:id", "GET /orders/:id", "POST /users", "DELETE /users/:id", "GET /day-of-year",
            "GET /price/:symbol", "GET /users", "POST /articles", "GET /health", "POST /checkout",
        ]
        #expect(
            summaries[0].differences.map(Self.group) == [
                "breaking body.type $.accountId ×2 GET /orders/:id",
                "breaking body.not_json  ×2 DELETE /users/:id, GET /users/:id",
                "breaking status  ×2 DELETE /users/:id, GET /users/:id",
                "breaking header.extra content-type ×1 DELETE /users/:id",
                "breaking body.key_case $.dayOfYear ×1 GET /day-of-year",
                "breaking body.type $.error ×1 GET /orders/:id",
                "breaking body.array_length $ ×1 GET /users",
                "breaking header.value content-type ×1 GET /users/:id",
                "breaking header.missing location ×1 POST /articles",
                "risky header.value etag ×8 GET /orders/:id, GET /users/:id, GET /day-of-year, GET /users, POST /checkout",
                "risky header.extra content-length ×1 DELETE /users/:id",
                "risky header.extra etag ×1 DELETE /users/:id",
                "risky header.value content-type ×1 GET /health",
                "risky body.date_format $.createdAt ×1 GET /orders/:id",
                "risky body.null_vs_absent $.details ×1 GET /users/:id",
                "risky body.number_format $.total ×1 POST /checkout",
                "cosmetic header.missing x-powered-by ×22 " + allRoutes.joined(separator: ", "),
                "cosmetic header.value content-length ×9 GET /orders/:id, GET /users/:id, GET /day-of-year, "
                    + "GET /price/:symbol, GET /users, POST /checkout",
                "cosmetic body.value $.computedBy ×1 GET /price/:symbol",
                "cosmetic header.value etag ×1 GET /price/:symbol",
            ])
        #expect(
            summaries[1].routes.map(Self.totals) == [
                "DELETE /users/:id 2/2/0", "GET /day-of-year 2/2/0", "GET /health 1/1/0", "GET /orders/:id 3/3/0",
                "GET /price/:symbol 2/2/0", "GET /users 2/2/0", "GET /users/:id 4/4/0", "POST /articles 2/2/0",
                "POST /checkout 1/1/0", "POST /users 3/3/0",
            ])
        #expect(
            summaries[1].differences.map(Self.group) == [
                "cosmetic header.missing x-powered-by ×22 " + allRoutes.joined(separator: ", "),
                "cosmetic body.value $.computedBy ×1 GET /price/:symbol",
                "cosmetic header.value content-length ×1 GET /price/:symbol",
                "cosmetic header.value etag ×1 GET /price/:symbol",
            ])
        let live = all.compactMap { event -> DemoLiveConnection? in
            if case .liveConnection(let live) = event { return live }
            return nil
        }
        let tunnels = try #require(live.first?.status.route(named: "GET /live")?.tunnels)
        #expect(
            [
                tunnels.open, tunnels.opened, tunnels.bytesToUpstream, tunnels.bytesToClient,
                tunnels.byBackend?["legacy"]?.open,
            ]
                == [1, 1, 28, 24, 1])
        let passes = all.compactMap { event -> DemoPass? in
            if case .started(let pass) = event { return pass }
            return nil
        }
        #expect(passes.map(\.candidate) == ["ShopPort --naive", "ShopPort"])
        let children = Set(passes.flatMap(\.processes))
        #expect(children.count == 4)
        #expect(ChildProcess.unreaped.filter { children.contains($0.pid) }.map(\.command) == [])
    }

    /// A service on the port in `PORT` that prints a line first.
    static func service(_ name: String, folder: String) throws -> DemoServiceSpec {
        let script =
            "console.log('\(name) up'); require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"
        return DemoServiceSpec(
            name: name, executable: try findExecutable("node"), arguments: ["-e", script], portVariable: "PORT",
            directory: folder, log: "\(folder)/\(name).log")
    }

    static func configuration(folder: String) throws -> Configuration {
        var configuration = try ConfigurationLoader.load(
            path: repositoryRoot.appendingPathComponent("Examples/banyan.yaml").path)
        configuration.state = "sqlite:\(folder)/state.sqlite"
        return configuration
    }

    @Test("a service that dies ends the scope at once with the end of its log, and the other one is stopped")
    func deadService() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-demo-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = ContinuousClock.now
        let processes = Processes()
        await #expect {
            try await withDemoServices(
                legacy: try Self.service("legacy", folder: folder),
                candidate: try Self.service("candidate", folder: folder),
                configuration: try Self.configuration(folder: folder)
            ) { services in
                processes.set([services.legacy.processIdentifier, services.candidate.processIdentifier])
                kill(services.candidate.processIdentifier, SIGKILL)
                try await Task.sleep(for: .seconds(60))
            }
        } throws: { error in
            "\(error)".hasPrefix("candidate (port ")
                && "\(error)".hasSuffix(
                    " exited with status 137 while the demo ran; the end of its log (\(folder)/candidate.log):\ncandidate up"
                )
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(processes.all.count == 2)
        #expect(ChildProcess.unreaped.filter { processes.all.contains($0.pid) }.map(\.command) == [])
    }

    @Test("an error in the scope stops both services and the proxy, and is thrown as it is")
    func errorInScope() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-demo-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let processes = Processes()
        await #expect(throws: DemoError.self) {
            try await withDemoServices(
                legacy: try Self.service("legacy", folder: folder),
                candidate: try Self.service("candidate", folder: folder),
                configuration: try Self.configuration(folder: folder)
            ) { services in
                processes.set([services.legacy.processIdentifier, services.candidate.processIdentifier])
                throw DemoError("stopped by the test")
            }
        }
        #expect(processes.all.count == 2)
        #expect(ChildProcess.unreaped.filter { processes.all.contains($0.pid) }.map(\.command) == [])
    }

    @Test("a service that exits before it listens is started three times, then the error holds its log")
    func serviceThatNeverListens() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("banyan-demo-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let broken = DemoServiceSpec(
            name: "broken", executable: "/bin/sh",
            arguments: ["-c", "echo attempt >> \(folder)/attempts; echo cannot bind; exit 3"],
            portVariable: "PORT", directory: folder, log: "\(folder)/broken.log")
        await #expect {
            try await withDemoServices(
                legacy: try Self.service("legacy", folder: folder), candidate: broken,
                configuration: try Self.configuration(folder: folder)
            ) { _ in }
        } throws: { error in
            "\(error)".hasPrefix("broken exited (status 3) before it listened on port ")
                && "\(error)".hasSuffix("; the end of its log (\(folder)/broken.log):\ncannot bind")
        }
        #expect(try String(contentsOfFile: "\(folder)/attempts", encoding: .utf8) == "attempt\nattempt\nattempt\n")
    }

    /// Process identifiers a scope handed out.
    final class Processes: @unchecked Sendable {
        // @unchecked: `list` is only touched under `lock`.
        private let lock = NSLock()
        private var list: Set<Int32> = []

        func set(_ pids: [Int32]) { lock.withLock { list = Set(pids) } }

        var all: Set<Int32> { lock.withLock { list } }
    }

    /// An event in a few words, without what changes from run to run (ports, latencies, times).
    static func step(_ event: DemoEvent) -> String {
        switch event {
        case .overview(let routes): return "overview \(routes)"
        case .naiveStep: return "naive"
        case .carefulStep(let port): return "careful \(port.name)"
        case .promotionStep: return "promotion"
        case .liveConnectionStep: return "live connection"
        case .started(let pass): return "started \(pass.candidate)"
        case .sent(let traffic):
            return "sent \(traffic.requests): "
                + traffic.servedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        case .summary(let summary): return "summary \(summary.compared) compared, \(summary.failing) failing"
        case .promotion(let promotion):
            return "\(promotion.route): \(promotion.servedByAfterSet), then \(promotion.servedByAfterRollback)"
        case .liveConnection(let live):
            return
                "WebSocket served by \(live.servedBy), echo \(live.echo), tunnels open \(live.status.tunnelsOpen ?? -1)"
        case .finished(_, _, _, let keeping): return keeping ? "finished, keeping" : "finished, not keeping"
        }
    }

    static func totals(_ totals: ShadowTotals) -> String {
        "\(totals.route) \(totals.compared)/\(totals.differing)/\(totals.failing)"
    }

    static func group(_ group: DemoSummary.Group) -> String {
        "\(group.severity) \(group.kind) \(group.location) ×\(group.count) \(group.routes.joined(separator: ", "))"
    }
}
