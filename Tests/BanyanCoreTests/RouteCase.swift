import BanyanCore
import Foundation
import Testing

/// One row of `Resources/route-cases.json`.
struct RouteCase: Decodable, Sendable {
    struct Expectation: Decodable, Sendable, Equatable {
        var match: Bool?
        var params: [String: String]?
        var route: Int?
        var status: Int?
        var param: String?
        var raw: String?
        var registerError: Bool?
    }

    var pattern: String?
    var patterns: [String]?
    var path: String
    var target: String?
    var expect: Expectation
    var flavors: [String: Expectation]?
    var source: String?
    var note: String?

    var allPatterns: [String] { patterns ?? [pattern ?? ""] }

    /// The expectation for `flavor`, or nil when the case states none (Express 5 is only checked
    /// where a case says what it does).
    func expectation(for flavor: ExpressFlavor) -> Expectation? {
        if let override = flavors?[flavor.rawValue] { return override }
        return flavor == .express5 ? nil : expect
    }

    var testDescription: String { "\(allPatterns.joined(separator: ", ")) ← \(path)" }

    static let all: [RouteCase] = {
        let url = Bundle.module.url(forResource: "Resources/route-cases", withExtension: "json")!
        return try! JSONDecoder().decode([RouteCase].self, from: Data(contentsOf: url))
    }()

    /// Every (case, flavour) pair the table states an expectation for.
    static let checks: [RouteCheck] = all.enumerated().flatMap { (index, routeCase) in
        ExpressFlavor.allCases.compactMap { flavor in
            routeCase.expectation(for: flavor).map { _ in
                RouteCheck(number: index + 1, routeCase: routeCase, flavor: flavor)
            }
        }
    }
}

/// One case checked under one flavour.
struct RouteCheck: Sendable, CustomTestStringConvertible {
    var number: Int
    var routeCase: RouteCase
    var flavor: ExpressFlavor

    var expectation: RouteCase.Expectation { routeCase.expectation(for: flavor)! }

    var testDescription: String { "#\(number) [\(flavor)] \(routeCase.testDescription)" }
}
