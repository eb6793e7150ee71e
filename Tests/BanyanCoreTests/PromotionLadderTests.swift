import Testing

@testable import BanyanCore

@Suite("Promotion ladder")
struct PromotionLadderTests {
    static let steps: [(RouteMode, RouteMode?)] = [
        (.legacy, .shadow),
        (.shadow, .canary(percent: 1)),
        (.canary(percent: 1), .canary(percent: 5)),
        (.canary(percent: 5), .canary(percent: 25)),
        (.canary(percent: 25), .canary(percent: 50)),
        (.canary(percent: 50), .new),
        (.canary(percent: 3), .canary(percent: 5)),
        (.canary(percent: 0), .canary(percent: 1)),
        (.canary(percent: 75), .new),
        (.new, nil),
    ]

    @Test("the standard ladder: legacy → shadow → canary 1 → 5 → 25 → 50 → new", arguments: steps)
    func standard(from: RouteMode, to: RouteMode?) {
        #expect(PromotionLadder.standard.next(after: from) == to)
    }

    @Test("a ladder of its own skips what it leaves out")
    func custom() {
        let ladder = PromotionLadder(steps: [.canary(percent: 10), .new])
        #expect(ladder.next(after: .legacy) == .canary(percent: 10))
        #expect(ladder.next(after: .shadow) == .canary(percent: 10))
        #expect(ladder.next(after: .canary(percent: 10)) == .new)
        #expect(ladder.isIncreasing)
        #expect(!PromotionLadder(steps: [.canary(percent: 10), .shadow]).isIncreasing)
        #expect(!PromotionLadder(steps: [.legacy, .new]).isIncreasing)
        #expect(!PromotionLadder(steps: []).isIncreasing)
    }
}
