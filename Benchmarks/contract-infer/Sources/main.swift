import BanyanContract
import BanyanCore
import Foundation

// `banyan contract infer FOLDERS… --out FILE` without the rest of the command line: the same
// library calls, built in release mode on its own (a release build of the whole `banyan`
// executable also compiles NIO, BoringSSL and PostgreSQL's driver). Benchmarks/contract-infer.sh.
var arguments = Array(CommandLine.arguments.dropFirst())
guard let outIndex = arguments.firstIndex(of: "--out"), outIndex + 1 < arguments.count else {
    FileHandle.standardError.write(Data("usage: ContractInferBench FOLDER… --out FILE\n".utf8))
    exit(2)
}
let out = arguments[outIndex + 1]
arguments.removeSubrange(outIndex...(outIndex + 1))
do {
    let contract = try ContractSource.infer(try ContractSource.entries(in: arguments))
    try Data(contract.text().utf8).write(to: URL(fileURLWithPath: out))
    print("\(contract.routes.count) routes, \(contract.exchangeCount) exchanges")
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
