import Synchronization

/// The shop's routes, registered in the same order as `shop-legacy/server.js`.
///
/// With `naive: true` the port reproduces classic porting mistakes, one per request listed in
/// `naive-differences.json`; every other request behaves exactly like the correct port.
/// Where the port records its writes when it has a database (`ShopPort --database`): called in
/// the order the writes happen, under the state lock, so it must not block.
public protocol ShopJournal: Sendable {
    func userCreated(_ user: Seed.User)
    func userDeleted(id: Int)
}

public final class ShopService: Sendable {
    struct State {
        var users: [Int: Seed.User]
        var nextUserId: Int
        var articles: [Int: JSONValue] = [:]
        var nextArticleId: Int
    }

    public let naive: Bool
    private let state: Mutex<State>
    private let orders: [String: Seed.Order]
    private let app: ExpressApp<ShopService>
    private let journal: (any ShopJournal)?

    /// The shop with the seed's users and orders in memory, or with the rows of a database and a
    /// journal that writes changes back to it.
    public init(
        naive: Bool = false, users: [Seed.User] = Seed.users, orders: [Seed.Order] = Seed.orders,
        journal: (any ShopJournal)? = nil
    ) {
        self.naive = naive
        let byId = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        state = Mutex(
            State(
                users: byId, nextUserId: max(users.map(\.id).max() ?? 0, Seed.users.map(\.id).max() ?? 0) + 1,
                nextArticleId: Seed.firstArticleId))
        self.orders = Dictionary(orders.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.journal = journal
        app = Self.routes(naive: naive)
    }

    /// Answers one request.
    public func handle(_ request: WireRequest) -> WireResponse {
        app.handle(request, context: self)
    }

    private static func routes(naive: Bool) -> ExpressApp<ShopService> {
        var app = ExpressApp<ShopService>(
            quirks: FrameworkQuirks(strictTrailingSlash: naive, methodNotAllowed: naive))
        app.get("/health") { shop, req, res in shop.health(req, &res) }
        app.get("/users") { shop, req, res in shop.listUsers(req, &res) }
        app.get("/users/:id") { shop, req, res in shop.getUser(req, &res) }
        app.post("/users") { shop, req, res in shop.createUser(req, &res) }
        app.delete("/users/:id") { shop, req, res in shop.deleteUser(req, &res) }
        app.get("/orders/:id") { shop, req, res in shop.getOrder(req, &res) }
        app.post("/articles") { shop, req, res in shop.createArticle(req, &res) }
        app.get("/price/:symbol") { shop, req, res in shop.price(req, &res) }
        app.post("/checkout") { shop, req, res in shop.checkout(req, &res) }
        app.get("/day-of-year") { shop, req, res in shop.dayOfYear(req, &res) }
        app.get("/live") { shop, req, res in shop.live(req, &res) }
        return app
    }

    // MARK: handlers

    func health(_ req: Req, _ res: inout Res) {
        let body = JSONValue.object(JSONObject([("status", .string("ok"))]))
        if naive {
            // Mistake "json-without-charset": a hand-rolled JSON response.
            res.send(JSONWriter.bytes(body), contentType: "application/json")
        } else {
            res.json(body)
        }
    }

    func listUsers(_ req: Req, _ res: inout Res) {
        // Mistake "default-limit": the naive port picked 20 as the default page size.
        let limit = req.query("limit").number(default: naive ? 20 : 10)
        let all = state.withLock { $0.users.values.sorted { $0.id < $1.id } }
        let end = JSNumber.sliceEnd(limit, count: all.count)
        res.json(.array(all[0..<end].map(Self.userJSON)))
    }

    func getUser(_ req: Req, _ res: inout Res) {
        let raw = req.params["id"] ?? ""
        if naive && UInt32(raw) == nil {
            // Mistake "typed-id": a typed path parameter rejects the request before the handler.
            res.status(400)
            res.send(
                Array("Invalid URL: Cannot parse `\(raw)` to a `u32`".utf8), contentType: "text/plain; charset=utf-8")
            return
        }
        guard let user = lookupUser(raw) else {
            res.status(404)
            var envelope = JSONObject([("error", .string("User not found"))])
            if naive {
                // Mistake "error-details-null": an optional field encoded as null instead of left out.
                envelope["details"] = .null
            }
            res.json(.object(envelope))
            return
        }
        res.json(Self.userJSON(user))
    }

    func createUser(_ req: Req, _ res: inout Res) {
        var name = ""
        if case .string(let given) = req.body["name"] { name = JSNumber.trim(given) }
        if name.isEmpty {
            res.status(400)
            res.json(Self.error("name is required"))
            return
        }
        guard case .string(let email) = req.body["email"], email.contains("@") else {
            res.status(400)
            res.json(Self.error("email is invalid"))
            return
        }
        let user = state.withLock { state in
            let user = Seed.User(id: state.nextUserId, name: name, email: email)
            state.nextUserId += 1
            state.users[user.id] = user
            journal?.userCreated(user)
            return user
        }
        res.status(201)
        res.json(Self.userJSON(user))
    }

    func deleteUser(_ req: Req, _ res: inout Res) {
        let id = Self.userKey(req.params["id"] ?? "")
        let existed = state.withLock { state in
            guard let id, state.users.removeValue(forKey: id) != nil else { return false }
            journal?.userDeleted(id: id)
            return true
        }
        if naive && !existed {
            // Mistake "delete-not-idempotent": deleting a missing user is reported as 404.
            res.status(404)
            res.json(Self.error("User not found"))
            return
        }
        res.status(204)
        res.end()
    }

    func getOrder(_ req: Req, _ res: inout Res) {
        guard let order = orders[req.params["id"] ?? ""] else {
            res.status(404)
            if naive {
                // Mistake "flat-error-envelope": the nested {code,message} error became a string.
                res.json(Self.error("Order not found"))
            } else {
                let inner = JSONObject([("code", .string("ORDER_NOT_FOUND")), ("message", .string("Order not found"))])
                res.json(.object(JSONObject([("error", .object(inner))])))
            }
            return
        }
        res.set("Cache-Control", "private, max-age=30")
        var body = JSONObject([
            ("id", .string(order.id)),
            // Mistake "big-id-number" (naive): the 64-bit account id is encoded as a JSON number
            // (a UInt64 property), which JavaScript clients read as another, rounded number.
            ("accountId", naive ? .exactInteger(UInt64(order.accountId) ?? 0) : .string(order.accountId)),
            ("amountCents", .number(Double(order.amountCents))),
            ("currency", .string(order.currency)),
            ("status", .string(order.status)),
            // Mistake "date-zero-fraction": an RFC 3339 writer that drops a zero fraction.
            (
                "createdAt",
                .string(
                    naive
                        ? JSDate.rfc3339DroppingZeroFraction(order.createdAtMillis)
                        : JSDate.isoString(order.createdAtMillis))
            ),
        ])
        if let coupon = order.coupon {
            body["coupon"] = .string(coupon)
        }
        res.json(.object(body))
    }

    func createArticle(_ req: Req, _ res: inout Res) {
        guard case .string(let title) = req.body["title"], !JSNumber.trim(title).isEmpty else {
            res.status(400)
            res.json(Self.error("title is required"))
            return
        }
        var tags = JSONValue.array([])
        if case .array = req.body["tags"] { tags = req.body["tags"]! }
        let article = state.withLock { state in
            let article = JSONValue.object(
                JSONObject([("id", .number(Double(state.nextArticleId))), ("title", .string(title)), ("tags", tags)]))
            state.articles[state.nextArticleId] = article
            state.nextArticleId += 1
            return article
        }
        res.status(201)
        if !naive, case .number(let id) = article["id"] {
            // Mistake "missing-location" (naive): the Location header is forgotten.
            res.location("/articles/\(JSNumber.format(id))")
        }
        res.json(article)
    }

    func price(_ req: Req, _ res: inout Res) {
        // Mistake "case-sensitive-symbol" (naive): the symbol is not upper-cased before the lookup.
        let given = req.params["symbol"] ?? ""
        let symbol = naive ? given : given.uppercased()
        guard let base = Seed.basePrices[symbol] else {
            res.status(404)
            res.json(Self.error("unknown symbol"))
            return
        }
        let price = base + ShopLogic.priceAdjustment()
        res.json(
            .object(
                JSONObject([("symbol", .string(symbol)), ("price", .number(price)), ("computedBy", .string("swift"))])))
    }

    func checkout(_ req: Req, _ res: inout Res) {
        guard let orderId = ShopLogic.orderId(userId: req.body["userId"]) else {
            res.status(400)
            res.json(Self.error("userId is required"))
            return
        }
        let total = ShopLogic.checkoutTotal(items: req.body["items"])
        if naive {
            // Mistake "float-total": the total is a Double printed the Swift way (3600.0).
            var text = "{\"orderId\":"
            JSONWriter.quote(orderId, into: &text)
            text += ",\"total\":\(total),\"status\":\"confirmed\"}"
            res.send(Array(text.utf8), contentType: "application/json; charset=utf-8")
            return
        }
        res.json(
            .object(
                JSONObject([
                    ("orderId", .string(orderId)), ("total", .number(total)), ("status", .string("confirmed")),
                ])))
    }

    func dayOfYear(_ req: Req, _ res: inout Res) {
        guard case .string(let date) = req.query("date"), let day = ShopLogic.dayOfYear(date) else {
            res.status(400)
            res.json(Self.error("date is invalid"))
            return
        }
        // Mistake "snake-case-key" (naive): the Swift property name leaks as day_of_year.
        let key = naive ? "day_of_year" : "dayOfYear"
        res.json(.object(JSONObject([("date", .string(date)), (key, .number(Double(day)))])))
    }

    /// `GET /live` without an upgrade: Express's 426. The WebSocket itself (an upgrade on the same
    /// path) never gets here: ShopApp's server channel accepts it and echoes every message.
    func live(_ req: Req, _ res: inout Res) {
        res.status(426)
        res.set("Upgrade", "websocket")
        res.json(Self.error("GET /live is a WebSocket; send Upgrade: websocket"))
    }

    // MARK: helpers

    /// `users.get(Number(param))`.
    private func lookupUser(_ raw: String) -> Seed.User? {
        guard let key = Self.userKey(raw) else { return nil }
        return state.withLock { $0.users[key] }
    }

    /// The Map key `Number(param)` would hit, if it can be an integer id at all.
    static func userKey(_ raw: String) -> Int? {
        let number = JSNumber.parse(raw)
        guard JSNumber.isInteger(number), abs(number) < 9e15 else { return nil }
        return Int(number)
    }

    static func userJSON(_ user: Seed.User) -> JSONValue {
        .object(
            JSONObject([("id", .number(Double(user.id))), ("name", .string(user.name)), ("email", .string(user.email))])
        )
    }

    static func error(_ message: String) -> JSONValue {
        .object(JSONObject([("error", .string(message))]))
    }
}
