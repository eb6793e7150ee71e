import BanyanCore
import BanyanData
import BanyanHTTP
import Foundation
import SharedTestSupport
import Testing

/// The Express example with real stores: the same answers on the wire from PostgreSQL as from
/// memory, the dual-write into the rewrite's schema, and the backfill and reconcile of its tables.
@Suite struct ExampleStoreTests {
    /// shop-legacy, started with the given environment; stopped when the value goes away.
    final class Legacy: @unchecked Sendable {
        // @unchecked: the child is touched only in init and deinit, which do not overlap.
        let process: ChildProcess
        let port: Int
        let log: String

        init(_ environment: [String: String]) throws {
            guard let port = findFreePort() else { throw TestSupportError("no free port") }
            self.port = port
            log = try temporaryFolder() + "/legacy.log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let vendor = repositoryRoot.appendingPathComponent("Examples/shop-legacy/.vendor/usr/share/nodejs").path
            guard FileManager.default.fileExists(atPath: vendor + "/pg/package.json") else {
                throw TestSupportError("node-pg is not unpacked at \(vendor): run scripts/setup.sh")
            }
            let node = ["/usr/bin/node", "/usr/local/bin/node"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            guard let node else { throw TestSupportError("node is not installed; scripts/setup.sh installs it") }
            var env = ProcessInfo.processInfo.environment
            env["NODE_PATH"] = "/usr/share/nodejs:\(vendor)"
            env["NODE_ENV"] = "production"
            env["PORT"] = String(port)
            env["HOST"] = "127.0.0.1"
            for (key, value) in environment { env[key] = value }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            defer { try? handle.close() }
            TestLedger.watchForLeaks()
            process = try ChildProcess(
                node, [repositoryRoot.appendingPathComponent("Examples/shop-legacy/server.js").path],
                environment: env.map { "\($0.key)=\($0.value)" }, output: handle.fileDescriptor,
                error: handle.fileDescriptor)
            guard waitUntilListening(port: port, timeout: 30) else {
                process.stop()
                throw TestSupportError(
                    "shop-legacy did not listen: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
        }

        deinit {
            process.stop()
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        func send(_ method: String, _ target: String, _ body: String? = nil) throws -> String {
            var request = HTTPRequest(method: method, target: target)
            if let body {
                request.headers = HTTPHeaders([("Content-Type", "application/json")])
                request.body = Array(body.utf8)
            }
            let response = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: port)).send(request).response
            let headers = response.headers.fields.filter { $0.name.lowercased() != "date" }
                .map { "\($0.name): \($0.value)" }
            return "\(response.status)\n\(headers.joined(separator: "\n"))\n\n\(response.bodyText)"
        }
    }

    static let exchanges: [(String, String, String?)] = [
        ("GET", "/users", nil), ("GET", "/users?limit=3", nil), ("GET", "/users/1", nil), ("GET", "/users/abc", nil),
        ("GET", "/users/1e1", nil), ("GET", "/orders/ord_123", nil), ("GET", "/orders/ord_124", nil),
        ("GET", "/orders/nope", nil), ("POST", "/users", #"{"name":"  Ada Lovelace ","email":"ada@x.io"}"#),
        ("POST", "/users", #"{"name":"","email":"x@x.io"}"#), ("DELETE", "/users/2", nil), ("DELETE", "/users/2", nil),
        ("GET", "/users/13", nil), ("GET", "/users?limit=-2", nil),
    ]

    @Test func postgresModeAnswersAsMemoryModeAndDualWritesTheNewSchema() async throws {
        let cluster = try PostgresCluster.get()
        let legacyURL = try await cluster.makeDatabase("shop_legacy")
        let newURL = try await cluster.makeDatabase("shop_new")
        let memory = try Legacy([:])
        let database = try Legacy([
            "DATABASE_URL": cluster.urlText(legacyURL.databaseName),
            "NEW_DATABASE_URL": cluster.urlText(newURL.databaseName),
        ])
        for (method, target, body) in Self.exchanges {
            let expected = try memory.send(method, target, body)
            #expect(try database.send(method, target, body) == expected, "\(method) \(target)")
        }
        // Dual-written in the rewrite's schema: user 13 split, user 2 deleted.
        let customers = try await withStore(newURL) { new in
            try await new.select("SELECT id, first_name, last_name, email_address FROM customers", [])
        }
        #expect(customers == [[.integer(13), .text("Ada"), .text("Lovelace"), .text("ada@x.io")]])
        // The backfill brings the seeded rows over; reconcile is then clean for both tables.
        for map in ["users", "orders"] {
            let mapping = try MappingFile.load(
                path: repositoryRoot.appendingPathComponent("Examples/data/\(map).yaml").path)
            var backfill = BackfillOptions(source: legacyURL, target: newURL, mapping: mapping)
            backfill.showProgress = false
            let written = try await Backfill.run(backfill)
            #expect(written.rowsRead == (map == "users" ? 12 : 2))
            var reconcile = ReconcileOptions(legacy: legacyURL, new: newURL, mapping: mapping)
            reconcile.showProgress = false
            let report = try await Reconcile.run(reconcile)
            #expect(report.isClean, "\(report.plainText())")
        }
        let orders = try await withStore(newURL) { new in
            try await new.select(
                "SELECT order_id, account_id, placed_at::text, coupon_code FROM orders ORDER BY order_id", [])
        }
        #expect(
            orders
                == [
                    [.text("ord_123"), .integer(9_007_199_254_740_993), .text("2026-06-02 10:00:00+00"), .null],
                    [
                        .text("ord_124"), .integer(9_007_199_254_740_995), .text("2026-06-03 14:25:07.25+00"),
                        .text("SPRING10"),
                    ],
                ])
    }

    /// The new store failing never fails a request: the write is counted and logged.
    @Test func aFailingShadowWriteIsCountedNeverPropagated() async throws {
        let cluster = try PostgresCluster.get()
        let legacyURL = try await cluster.makeDatabase("shop_legacy")
        let database = try Legacy([
            "DATABASE_URL": cluster.urlText(legacyURL.databaseName),
            "NEW_DATABASE_URL": cluster.urlText("no_such_database"),
        ])
        let first = try database.send("POST", "/users", #"{"name":"Alan Turing","email":"alan@x.io"}"#)
        #expect(first.hasPrefix("201\n"))
        #expect(first.hasSuffix(#"{"id":13,"name":"Alan Turing","email":"alan@x.io"}"#))
        _ = try database.send("POST", "/users", #"{"name":"Grace Hopper","email":"grace@x.io"}"#)
        #expect(
            try database.send("GET", "/users/14", nil).hasSuffix(
                #"{"id":14,"name":"Grace Hopper","email":"grace@x.io"}"#))
        let log = database.output
        #expect(log.contains("shadow write failed for id=13"))
        #expect(log.contains(#""dual_write_shadow_failures":2"#))
    }
}

/// The Swift port in its own SQLite store (the rewrite's schema), filled by a backfill from the
/// Express service's PostgreSQL: the port then answers exactly as Express does.
@Suite struct PortStoreTests {
    final class Port: @unchecked Sendable {
        // @unchecked: the child is touched only in init and deinit, which do not overlap.
        let process: ChildProcess
        let port: Int

        init(database: String) throws {
            let path =
                ProcessInfo.processInfo.environment["BANYAN_SHOPPORT_BIN"]
                ?? repositoryRoot.appendingPathComponent("Examples/ShopPort/.build/debug/ShopPort").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestSupportError(
                    "the Swift port is not built at \(path): run scripts/test.sh or set BANYAN_SHOPPORT_BIN")
            }
            guard let port = findFreePort() else { throw TestSupportError("no free port") }
            self.port = port
            TestLedger.watchForLeaks()
            process = try ChildProcess(path, ["--port", String(port), "--database", database])
            guard waitUntilListening(port: port, timeout: 30) else {
                process.stop()
                throw TestSupportError("ShopPort --database did not listen")
            }
        }

        deinit {
            process.stop()
        }

        func send(_ method: String, _ target: String, _ body: String? = nil) throws -> String {
            var request = HTTPRequest(method: method, target: target)
            if let body {
                request.headers = HTTPHeaders([("Content-Type", "application/json")])
                request.body = Array(body.utf8)
            }
            let response = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: port)).send(request).response
            return "\(response.status) \(response.bodyText)"
        }

        func get(_ target: String) throws -> String {
            let response = try HTTPClient(base: BaseURL(host: "127.0.0.1", port: port)).send(
                HTTPRequest(method: "GET", target: target)
            ).response
            return "\(response.status) \(response.bodyText)"
        }
    }

    @Test func thePortServesTheBackfilledRowsAsExpressDoes() async throws {
        let cluster = try PostgresCluster.get()
        let legacyURL = try await cluster.makeDatabase("shop_legacy")
        let express = try ExampleStoreTests.Legacy(["DATABASE_URL": cluster.urlText(legacyURL.databaseName)])
        _ = try express.send("POST", "/users", #"{"name":"Ada  King Lovelace","email":"ada@x.io"}"#)
        _ = try express.send("DELETE", "/users/2")
        let file = try temporaryFolder() + "/shop.sqlite"
        let schema = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Examples/ShopPort/schema.sqlite.sql"), encoding: .utf8)
        try await withStore(.sqlite(path: file)) { store in
            for statement in schema.split(separator: ";") where statement.contains("CREATE") {
                try await store.execute(String(statement))
            }
        }
        for map in ["users", "orders"] {
            let mapping = try MappingFile.load(
                path: repositoryRoot.appendingPathComponent("Examples/data/\(map).yaml").path)
            var options = BackfillOptions(source: legacyURL, target: .sqlite(path: file), mapping: mapping)
            options.showProgress = false
            _ = try await Backfill.run(options)
            var reconcile = ReconcileOptions(legacy: legacyURL, new: .sqlite(path: file), mapping: mapping)
            reconcile.showProgress = false
            #expect(try await Reconcile.run(reconcile).isClean)
        }
        let port = try Port(database: "sqlite:\(file)")
        for target in ["/users", "/users?limit=20", "/users/13", "/users/2", "/orders/ord_123", "/orders/ord_124"] {
            let wire = try express.send("GET", target)
            let status = wire.prefix { $0 != "\n" }
            let body = wire.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")
            #expect(try port.get(target) == "\(status) \(body)", "\(target)")
        }
    }

    /// An empty file gets the seed; writes reach the file and survive a restart.
    @Test func thePortsDatabaseKeepsWritesAcrossRestarts() async throws {
        let file = try temporaryFolder() + "/shop.sqlite"
        do {
            let port = try Port(database: file)
            #expect(try port.get("/users/12") == #"200 {"id":12,"name":"Tim","email":"tim@example.com"}"#)
            #expect(
                try port.send("POST", "/users", #"{"name":"Grace Brewster Hopper","email":"grace@x.io"}"#)
                    == #"201 {"id":13,"name":"Grace Brewster Hopper","email":"grace@x.io"}"#)
            #expect(try port.send("DELETE", "/users/1") == "204 ")
            // The writer task is asynchronous: wait until the file has the change.
            let written = try await eventually(interval: .milliseconds(50)) {
                let rows = try await withStore(.sqlite(path: file)) { store in
                    try await store.select(
                        "SELECT id, first_name, last_name FROM customers WHERE id IN (1, 13) ORDER BY id", [])
                }
                return rows == [[.integer(13), .text("Grace"), .text("Brewster Hopper")]]
            }
            #expect(written)
        }
        let restarted = try Port(database: "sqlite:\(file)")
        #expect(try restarted.get("/users/13") == #"200 {"id":13,"name":"Grace Brewster Hopper","email":"grace@x.io"}"#)
        #expect(try restarted.get("/users/1") == #"404 {"error":"User not found"}"#)
        #expect(
            try restarted.send("POST", "/users", #"{"name":"Ken","email":"ken@x.io"}"#)
                == #"201 {"id":14,"name":"Ken","email":"ken@x.io"}"#)
    }
}
