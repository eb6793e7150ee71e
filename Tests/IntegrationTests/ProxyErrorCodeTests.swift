import BanyanConfig
import BanyanCore
import BanyanProxy
import Foundation
import SharedTestSupport
import Testing

@Suite("Proxy error codes")
struct ProxyErrorCodeTests {
    @Test("a reload of a broken file fails with the reload code and keeps the file's problems, each with its line")
    func reloadKeepsTheConfigurationError() async throws {
        try await withRecordingUpstream { upstream in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "banyan-reload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let configPath = folder.appendingPathComponent("banyan.yaml").path
            func write(mode: String) throws {
                try """
                legacy: http://127.0.0.1:\(upstream.port)
                candidate: http://127.0.0.1:\(upstream.port)
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                state: sqlite:\(folder.path)/state.sqlite
                routes:
                  - route: GET /users/:id
                    mode: \(mode)
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            }
            try write(mode: "legacy")
            let server = try await ProxyServer.start(
                configuration: try ConfigurationLoader.load(path: configPath), configPath: configPath)
            try write(mode: "canery")
            var caught: ProxyError?
            do {
                try await server.reload()
            } catch let error as ProxyError {
                caught = error
            }
            await server.shutdown()
            let error = try #require(caught)
            let cause = try #require(error.cause as? ConfigurationError)
            #expect(error.code == .reload)
            #expect(cause.problems.map(\.line) == [8])
            #expect(cause.problems.map(\.key) == ["routes[0].mode"])
            #expect(error.description == cause.description)
            #expect(error.description.hasPrefix("\(configPath):8:"))
        }
    }
}
