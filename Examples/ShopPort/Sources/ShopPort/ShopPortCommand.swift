import ArgumentParser
import Foundation
import ShopApp
import ShopCore
import ShopStore

@main
struct ShopPortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ShopPort",
        abstract: "The shop service ported from Express 4 to Swift (Hummingbird 2)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Flag(help: "Reproduce classic porting mistakes (see naive-differences.json).")
    var naive = false

    @Option(
        help: """
            Keep users and orders in this SQLite file (sqlite:PATH or PATH), in the rewrite's schema; \
            default: in memory, seeded. Also read from SHOP_DATABASE.
            """)
    var database: String?

    func run() async throws {
        let ready: @Sendable (String) -> Void = { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        guard var path = database ?? ProcessInfo.processInfo.environment["SHOP_DATABASE"] else {
            try await ShopServer.run(host: host, port: port, naive: naive, onReady: ready)
            return
        }
        if path.hasPrefix("sqlite:") { path = String(path.dropFirst("sqlite:".count)) }
        let store = try await ShopDatabase.open(path: path)
        let shop = ShopService(
            naive: naive, users: try await store.loadUsers(), orders: try await store.loadOrders(), journal: store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await store.runWriter { message in FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
            do {
                try await ShopServer.run(host: host, port: port, naive: naive, shop: shop, onReady: ready)
            } catch {
                store.finish()
                throw error
            }
            store.finish()
            try await group.waitForAll()
        }
        try await store.close()
    }
}
