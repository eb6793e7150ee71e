/// The same deterministic seed as `shop-legacy/seed.js`.
public enum Seed {
    public struct User: Sendable, Equatable {
        public var id: Int
        public var name: String
        public var email: String

        public init(id: Int, name: String, email: String) {
            self.id = id
            self.name = name
            self.email = email
        }
    }

    public struct Order: Sendable {
        public var id: String
        public var accountId: String
        public var amountCents: Int
        public var currency: String
        public var status: String
        /// Milliseconds since the Unix epoch (a JavaScript Date).
        public var createdAtMillis: Int64
        public var coupon: String?

        public init(
            id: String, accountId: String, amountCents: Int, currency: String, status: String, createdAtMillis: Int64,
            coupon: String?
        ) {
            self.id = id
            self.accountId = accountId
            self.amountCents = amountCents
            self.currency = currency
            self.status = status
            self.createdAtMillis = createdAtMillis
            self.coupon = coupon
        }
    }

    public static let users: [User] = [
        ("Ada", 1), ("Linus", 2), ("Grace", 3), ("Alan", 4), ("Barbara", 5), ("Dennis", 6),
        ("Ken", 7), ("Margaret", 8), ("Edsger", 9), ("Donald", 10), ("Frances", 11), ("Tim", 12),
    ].map { User(id: $0.1, name: $0.0, email: $0.0.lowercased() + "@example.com") }

    public static let orders: [Order] = [
        Order(
            id: "ord_123", accountId: "9007199254740993", amountCents: 4999, currency: "USD", status: "paid",
            createdAtMillis: JSDate.parseISO("2026-06-02T10:00:00.000Z")!, coupon: nil),
        Order(
            id: "ord_124", accountId: "9007199254740995", amountCents: 12950, currency: "EUR", status: "shipped",
            createdAtMillis: JSDate.parseISO("2026-06-03T14:25:07.250Z")!, coupon: "SPRING10"),
    ]

    public static let basePrices: [String: Double] = [
        "AAPL": 190.0, "MSFT": 410.0, "GOOG": 175.5, "AMZN": 185.25, "NVDA": 120.75, "TSLA": 250.1,
    ]

    public static let skuPrices: [String: Double] = ["BOOK-1": 1500, "PEN-9": 200, "MUG-3": 899]

    public static let firstArticleId = 101
}
