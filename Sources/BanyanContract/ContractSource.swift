import BanyanCore
import Foundation

/// Feeds recorded fixtures to contract inference one file at a time, so that memory stays bounded
/// by the contract, not by the size of the recording.
public enum ContractSource {
    /// One fixture file and the id its evidence is filed under.
    public struct Entry: Sendable, Hashable {
        public var path: String
        /// The path relative to the folder given (prefixed by the folder's name when several are).
        public var id: String
    }

    /// Which part of a recording to read, by position in recording order.
    public enum Portion: Sendable, Hashable {
        case all
        /// The first `percent` of the fixtures.
        case head(percent: Double)
        /// The fixtures after the first `100 - percent`.
        case tail(percent: Double)

        /// The slice of `count` items this portion covers.
        public func range(count: Int) -> Range<Int> {
            switch self {
            case .all: return 0..<count
            case .head(let percent): return 0..<Int((Double(count) * percent / 100).rounded(.down))
            case .tail(let percent): return Int((Double(count) * (100 - percent) / 100).rounded(.down))..<count
            }
        }
    }

    /// The fixture files below each folder (or the files named), in recording order.
    public static func entries(in folders: [String], portion: Portion = .all) throws(FixtureError) -> [Entry] {
        var entries: [Entry] = []
        for folder in folders {
            let paths = try FixtureStore.recordedPaths(in: folder)
            let base = folder.hasSuffix("/") ? folder : folder + "/"
            let prefix = folders.count > 1 ? (folder as NSString).lastPathComponent + "/" : ""
            for path in paths {
                let relative =
                    path.hasPrefix(base) ? String(path.dropFirst(base.count)) : (path as NSString).lastPathComponent
                entries.append(Entry(path: path, id: prefix + relative))
            }
        }
        return Array(entries[portion.range(count: entries.count)])
    }

    /// Reads one fixture as an exchange for inference.
    public static func exchange(_ entry: Entry) throws(FixtureError) -> ContractExchange {
        let fixture = try FixtureStore.readFixture(at: entry.path)
        let route = fixture.route ?? "\(fixture.request.method) \(fixture.request.path)"
        return ContractExchange(id: entry.id, route: route, request: fixture.request, response: fixture.response)
    }

    /// Infers a contract from the fixtures, reading one at a time.
    public static func infer(
        _ entries: [Entry], settings: ContractSettings = .default, progress: ProgressLine? = nil
    ) throws(FixtureError) -> Contract {
        var contract = Contract(settings: settings)
        for entry in entries {
            contract.add(try exchange(entry))
            progress?.advance(entry.id)
        }
        progress?.finish()
        return contract
    }
}
