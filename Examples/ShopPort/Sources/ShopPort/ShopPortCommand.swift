import ArgumentParser
import Foundation
import ShopApp

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

    func run() async throws {
        try await ShopServer.run(host: host, port: port, naive: naive) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
