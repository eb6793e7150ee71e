// Diff engine throughput: runs the full `DiffEngine.compare` (parse both bodies, classify, apply
// the policy) on the pairs of a corpus written by `generate.py`, and reports MB/s as
// (legacy bytes + candidate bytes) compared per second, per size class and overall.
//
// Usage: DiffThroughput CORPUS_DIR [--seconds S] [--rounds N] [--results FILE]
//   --seconds  measured time per size class, split into rounds (default 3)
//   --rounds   rounds per size class; the median round is reported (default 5)
//   --results  also writes one tab-separated line per size class: tool, class, MB/s, reps, pairs,
//              parse-only MB/s
//
// The parse-only column times `JSONParser.parse` of both bodies alone, with the same repetitions,
// to show how the time of a comparison divides between parsing and comparing.
import BanyanCore
import Foundation

struct Pair {
    let id: Int
    let sizeClass: String
    let resource: String
    let legacy: HTTPResponse
    let candidate: HTTPResponse
    var bytes: Int { legacy.body.count + candidate.body.count }
}

struct Options {
    var corpus = ""
    var seconds = 3.0
    var rounds = 5
    var results: String?

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--seconds": seconds = Double(rest.popFirst() ?? "") ?? seconds
            case "--rounds": rounds = max(1, Int(rest.popFirst() ?? "") ?? rounds)
            case "--results": results = rest.popFirst()
            default: corpus = argument
            }
        }
        if corpus.isEmpty {
            fail("usage: DiffThroughput CORPUS_DIR [--seconds S] [--rounds N] [--results FILE]")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Array((message + "\n").utf8).withUnsafeBufferPointer { Data($0) })
    exit(2)
}

func read(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    return [UInt8](data)
}

func response(_ body: [UInt8]) -> HTTPResponse {
    HTTPResponse(
        status: 200, reason: "OK",
        headers: HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.count)),
        ]),
        body: body)
}

func loadCorpus(_ directory: String) -> [Pair] {
    let manifest: JSONValue
    do {
        manifest = try JSONParser.parse(read(directory + "/manifest.json"))
    } catch {
        fail("manifest.json: \(error)")
    }
    guard case .array(let entries)? = manifest["pairs"] else { fail("manifest.json: no pairs") }
    return entries.map { entry in
        guard case .number(let id)? = entry["id"], case .string(let sizeClass)? = entry["sizeClass"],
            case .string(let resource)? = entry["resource"], case .string(let legacy)? = entry["legacy"],
            case .string(let candidate)? = entry["candidate"], let number = Int(id.lexeme)
        else { fail("manifest.json: malformed pair \(entry)") }
        return Pair(
            id: number, sizeClass: sizeClass, resource: resource,
            legacy: response(read(directory + "/" + legacy)),
            candidate: response(read(directory + "/" + candidate)))
    }
}

func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func megabytesPerSecond(_ bytes: Int, _ elapsed: Double) -> String {
    let value = Double(bytes) / 1e6 / elapsed
    let rounded = (value * 10).rounded() / 10
    return String(rounded)
}

let options = Options(CommandLine.arguments)
let engine = DiffEngine(policy: .default)
let pairs = loadCorpus(options.corpus)
let clock = ContinuousClock()
var sink = 0

print("Banyan DiffEngine.compare on \(pairs.count) pairs from \(options.corpus)")
print("pair  class   resource  legacy+candidate bytes  differences (kinds)")
for pair in pairs {
    let differences = engine.compare(legacy: pair.legacy, candidate: pair.candidate, route: "GET /\(pair.resource)")
    var kinds: [String: Int] = [:]
    for difference in differences { kinds[difference.kind.rawValue, default: 0] += 1 }
    let summary = kinds.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
    print(
        "\(pad(String(pair.id), 4))  \(pad(pair.sizeClass, 5))   \(pair.resource.padding(toLength: 8, withPad: " ", startingAt: 0))"
            + "  \(pad(String(pair.bytes), 21))  \(pad(String(differences.count), 3)) (\(summary))")
    if differences.isEmpty { fail("pair \(pair.id): no differences found; the corpus pairs must differ") }
}

var classes: [String] = []
for pair in pairs where !classes.contains(pair.sizeClass) { classes.append(pair.sizeClass) }

var resultLines: [String] = []
var totalBytes = 0
var totalSeconds = 0.0
print("")
print("class   pairs  reps/pair/round  rounds  median MB/s  (min–max MB/s)  parse-only MB/s")
for sizeClass in classes {
    let members = pairs.filter { $0.sizeClass == sizeClass }
    let bytesPerPass = members.reduce(0) { $0 + $1.bytes }
    // Warm up and calibrate: one pass over the class.
    let warm = clock.measure {
        for pair in members { sink &+= engine.compare(legacy: pair.legacy, candidate: pair.candidate).count }
    }
    let perRound = options.seconds / Double(options.rounds)
    let reps = max(1, Int(perRound / max(seconds(warm), 1e-6)))
    var rates: [Double] = []
    for _ in 0..<options.rounds {
        let elapsed = clock.measure {
            for _ in 0..<reps {
                for pair in members {
                    sink &+= engine.compare(legacy: pair.legacy, candidate: pair.candidate).count
                }
            }
        }
        let time = seconds(elapsed)
        totalBytes += bytesPerPass * reps
        totalSeconds += time
        rates.append(Double(bytesPerPass * reps) / 1e6 / time)
    }
    rates.sort()
    let median = rates[rates.count / 2]
    // Where the time goes: the same repetitions parsing both bodies and nothing else (not counted overall).
    let parsing = clock.measure {
        for _ in 0..<reps {
            for pair in members {
                if case .array(let items)? = try? JSONParser.parse(pair.legacy.body)["data"] { sink &+= items.count }
                if case .array(let items)? = try? JSONParser.parse(pair.candidate.body)["data"] { sink &+= items.count }
            }
        }
    }
    let parseRate = Double(bytesPerPass * reps) / 1e6 / seconds(parsing)
    let rounded = { (value: Double) in String((value * 10).rounded() / 10) }
    print(
        "\(sizeClass.padding(toLength: 6, withPad: " ", startingAt: 0))  \(pad(String(members.count), 5))"
            + "  \(pad(String(reps), 15))  \(pad(String(options.rounds), 6))  \(pad(rounded(median), 11))"
            + "  \(pad("(" + rounded(rates.first!) + "–" + rounded(rates.last!) + ")", 15))"
            + "  \(pad(rounded(parseRate), 17))")
    resultLines.append(
        "banyan\t\(sizeClass)\t\(median)\t\(reps * options.rounds)\t\(members.count)\t\(parseRate)")
}
print("overall: \(megabytesPerSecond(totalBytes, totalSeconds)) MB/s (all measured bytes / all measured time)")
resultLines.append("banyan\toverall\t\(Double(totalBytes) / 1e6 / totalSeconds)\t0\t\(pairs.count)")
print("(checksum \(sink))")

if let path = options.results {
    let text = resultLines.joined(separator: "\n") + "\n"
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { fail("cannot write \(path)") }
}
